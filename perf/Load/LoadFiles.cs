using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using HdrHistogram;

namespace K3sLab.Perf.Load;

/// <summary>
/// The machine-readable files every load suite writes beside its Markdown and JSON, one set per run:
/// <list type="bullet">
/// <item><c>&lt;suite&gt;.csv</c>: one row per phase (successes, errors by kind, rate, p50/p90/p99/p99.9/max in ms).</item>
/// <item><c>&lt;suite&gt;-intervals.csv</c>: the same per interval (one second) of each phase, by completion time.</item>
/// <item><c>&lt;suite&gt;-hgrm/&lt;phase&gt;.hgrm</c>: each phase's full percentile distribution in HdrHistogram's text
/// format (values in milliseconds), which HdrHistogram's plotter and other tools read.</item>
/// <item><c>&lt;suite&gt;-intervals.hlog</c>: the interval histograms in HdrHistogram's interval log format (values in
/// microseconds, one tag per phase), for HistogramLogAnalyzer.</item>
/// <item><c>&lt;suite&gt;-over-time.svg</c>/<c>.png</c>: p50 and p99 per interval over the run (<see cref="Plots.TimelinePlot"/>).</item>
/// </list>
/// </summary>
internal static partial class LoadFiles
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the files for <paramref name="series"/> into <paramref name="directory"/>; returns their names relative to it.</summary>
    public static IReadOnlyList<string> Write(string directory, string suite, IReadOnlyList<LoadSeries> series)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();

        var summary = new StringBuilder("phase,succeeded,errors,errors_by_kind,per_second,p50_ms,p90_ms,p99_ms,p99_9_ms,max_ms\n");
        foreach (var s in series)
        {
            var l = s.Latencies;
            summary.AppendLine(Inv, $"{Csv(s.Name)},{s.Succeeded},{s.Errors},{Csv(s.ErrorKinds.ToString())},{s.PerSecond:0.0},{l.Ms(50):0.###},{l.Ms(90):0.###},{l.Ms(99):0.###},{l.Ms(99.9):0.###},{l.MaxMs:0.###}");
        }

        written.Add(WriteText(directory, $"{suite}.csv", summary.ToString()));

        var timed = series.Where(s => s.Timeline is not null).ToList();
        var runStart = timed.Select(s => s.Timeline!.OriginUtc).DefaultIfEmpty(DateTime.UtcNow).Min();
        var intervals = new StringBuilder("phase,phase_second,run_second,succeeded,errors,per_second,p50_ms,p90_ms,p99_ms,p99_9_ms,max_ms\n");
        foreach (var s in timed)
        {
            var offset = (s.Timeline!.OriginUtc - runStart).TotalSeconds;
            foreach (var i in s.Timeline.Intervals())
            {
                intervals.AppendLine(Inv, $"{Csv(s.Name)},{i.StartSeconds:0.###},{offset + i.StartSeconds:0.###},{i.Succeeded},{i.Errors},{i.PerSecond:0.0},{i.P50Ms:0.###},{i.P90Ms:0.###},{i.P99Ms:0.###},{i.P999Ms:0.###},{i.MaxMs:0.###}");
            }
        }

        written.Add(WriteText(directory, $"{suite}-intervals.csv", intervals.ToString()));

        var hgrmFolder = $"{suite}-hgrm";
        Directory.CreateDirectory(Path.Combine(directory, hgrmFolder));
        foreach (var s in series.Where(s => s.Latencies.Count > 0))
        {
            using var text = new StringWriter(Inv);
            s.Latencies.Histogram.OutputPercentileDistribution(text, outputValueUnitScalingRatio: 1000.0);
            written.Add(WriteText(directory, Path.Combine(hgrmFolder, Slug(s.Name) + ".hgrm"), text.ToString()));
        }

        if (timed.Count > 0)
        {
            var log = $"{suite}-intervals.hlog";
            // HdrHistogram.NET writes UTF-16; the format's readers (HistogramLogAnalyzer, the Java and Python
            // HdrHistogram log readers) expect ASCII, which the log's text is.
            using var buffer = new MemoryStream();
            HistogramLogWriter.Write(buffer, runStart, [.. timed.SelectMany(s => s.Timeline!.IntervalHistograms(Slug(s.Name)))]);
            WriteText(directory, log, DecodeLog(buffer.ToArray()));

            written.Add(log);
            Plots.TimelinePlot.Write(directory, $"{suite}-over-time", $"{suite}: latency per second over the run", [.. timed.Select(s => (s.Name, (s.Timeline!.OriginUtc - runStart).TotalSeconds, s.Timeline.Intervals()))]);
            written.Add($"{suite}-over-time.svg");
        }

        return written;
    }

    /// <summary>A phase name as a file name or an hlog tag: lower case, runs of anything but letters and digits as one dash.</summary>
    public static string Slug(string name) => NotWord().Replace(name.ToLowerInvariant(), "-").Trim('-');

    private static string WriteText(string directory, string name, string content)
    {
        File.WriteAllText(Path.Combine(directory, name), content);
        return name;
    }

    private static string DecodeLog(byte[] bytes)
    {
        var text = bytes is [0xFF, 0xFE, ..] ? Encoding.Unicode.GetString(bytes, 2, bytes.Length - 2)
            : bytes is [0xFE, 0xFF, ..] ? Encoding.BigEndianUnicode.GetString(bytes, 2, bytes.Length - 2)
            : Encoding.UTF8.GetString(bytes);
        return text.TrimStart('\uFEFF');
    }

    private static string Csv(string field) => field.IndexOfAny([',', '"', '\n']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotWord();
}
