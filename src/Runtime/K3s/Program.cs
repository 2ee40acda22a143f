using K3sLab.K3s.Cli;

return await K3sCommandLine.RunAsync(args);
