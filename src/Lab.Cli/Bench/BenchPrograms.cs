using System.Diagnostics;
using K3sLab.Lab;
using K3sLab.Lab.Host;

namespace K3sLab.Cli.Bench;

/// <summary>
/// Runs the benchmark programs as child processes (<c>dotnet &lt;dll&gt;</c>) from the repository root, building a
/// program first when its sources are newer than its build, as <c>./k3slab</c> does for the CLI. A child process
/// keeps the CLI free of the suites' dependencies (gRPC clients, BenchmarkDotNet) and lets each suite own its process.
/// </summary>
internal static class BenchPrograms
{
    private static readonly string[] s_sourceExtensions = [".cs", ".csproj", ".props", ".targets", ".proto"];

    public static (string Project, string Dll) Paths(BenchProgram program) => program switch
    {
        BenchProgram.Micro => ("perf/Micro/K3sLab.Perf.Micro.csproj", "perf/Micro/bin/Release/net10.0/K3sLab.Perf.Micro.dll"),
        _ => ("perf/K3sLab.Perf.csproj", "perf/bin/Release/net10.0/K3sLab.Perf.dll"),
    };

    /// <summary>Builds <paramref name="program"/> when it was never built or a source under src/ or perf/ changed since.</summary>
    /// <exception cref="LabSetupException">The build failed; the message carries its last lines.</exception>
    public static async Task EnsureBuiltAsync(BenchProgram program, TextWriter progress, CancellationToken ct)
    {
        var root = LabPaths.Root;
        var (project, dll) = Paths(program);
        var output = Path.Combine(root, dll);
        if (File.Exists(output) && !Stale(root, File.GetLastWriteTimeUtc(output)))
        {
            return;
        }

        await progress.WriteLineAsync($"building {project} (Release)...");
        var build = await HostCommand.RunAsync("dotnet", ["build", Path.Combine(root, project), "-c", "Release", "--nologo", "-v", "q", "-clp:NoSummary"], ct, root);
        if (!build.Succeeded)
        {
            throw new LabSetupException($"building {project} failed:\n{build.Tail(20)}");
        }

        File.SetLastWriteTimeUtc(output, DateTime.UtcNow);
    }

    /// <summary>
    /// Runs one program to its end with the console's stderr; its stdout goes to the console, or to stderr with
    /// <paramref name="stdoutToStderr"/> (when stdout is kept for <c>-o json</c>). Cancellation kills its process tree.
    /// </summary>
    public static async Task<int> RunAsync(BenchProgram program, IReadOnlyList<string> args, bool stdoutToStderr, CancellationToken ct)
    {
        var root = LabPaths.Root;
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = root, RedirectStandardOutput = stdoutToStderr };
        start.ArgumentList.Add(Path.Combine(root, Paths(program).Dll));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["K3SLAB_ROOT"] = root;
        using var process = Process.Start(start) ?? throw new LabSetupException("could not start dotnet for the benchmark program");
        if (stdoutToStderr)
        {
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine(e.Data);
                }
            };
            process.BeginOutputReadLine();
        }

        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return process.ExitCode;
    }

    private static bool Stale(string root, DateTime built) =>
        new[] { "src", "perf" }.Select(d => Path.Combine(root, d)).Where(Directory.Exists)
            .SelectMany(d => new DirectoryInfo(d).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
            .Where(f => !IsBuildOutput(f.FullName) && s_sourceExtensions.Contains(f.Extension, StringComparer.Ordinal))
            .Any(f => f.LastWriteTimeUtc > built);

    private static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
}
