using K3sLab.Perf;

return await PerfCommandLine.RunAsync(args);
