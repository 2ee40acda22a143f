using K3sLab.Perf.Micro;

return await MicroCommandLine.RunAsync(args);
