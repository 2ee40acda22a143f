using K3sLab.Cli.Commands;

return await LabCommandLine.Build().Parse(args).InvokeAsync();
