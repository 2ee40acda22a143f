using K3sLab.Cli.Commands;

return await LabCommandLine.RunAsync(args);
