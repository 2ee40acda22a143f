using System.Text.Json;
using K3sLab.K3s.Cli;

namespace K3sLab.K3s.ApiServer.Endpoints;

/// <summary>The <c>/version</c> document (<c>version.Info</c>) that <c>kubectl version</c> prints.</summary>
internal static class VersionInfo
{
    public static byte[] Render()
    {
        var parts = RuntimeVersion.KubernetesVersion.TrimStart('v').Split('.');
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("major", parts[0]);
            w.WriteString("minor", parts.Length > 1 ? parts[1] : "0");
            w.WriteString("gitVersion", RuntimeVersion.Version);
            w.WriteString("gitCommit", RuntimeVersion.Commit);
            w.WriteString("gitTreeState", "clean");
            w.WriteString("buildDate", File.GetLastWriteTimeUtc(Environment.ProcessPath ?? AppContext.BaseDirectory).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("goVersion", $"dotnet{Environment.Version}");
            w.WriteString("compiler", "dotnet");
            w.WriteString("platform", $"linux/{(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64")}");
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
