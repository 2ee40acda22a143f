using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace K3sLab.Perf.Api;

/// <summary>
/// The objects the suite writes: small ConfigMaps (about 200 bytes of data) as JSON bodies, and the paths they live
/// at. A watched write carries its sequence number and send time in its data, so every watcher can tell which write
/// an event is and how long it took to arrive.
/// </summary>
internal static class ConfigMaps
{
    /// <summary>The data key whose value is <c>&lt;sequence&gt;.&lt;Stopwatch timestamp&gt;</c> in a watched write.</summary>
    public const string StampKey = "perf-stamp";

    private static readonly string Filler = new('x', 180);

    public static string Collection(string ns) => $"/api/v1/namespaces/{ns}/configmaps";

    public static string Item(string ns, string name) => $"/api/v1/namespaces/{ns}/configmaps/{name}";

    public static string Name(int index) => index.ToString("d6", CultureInfo.InvariantCulture);

    public static HttpContent Body(string name) =>
        Json($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"filler":"{{{Filler}}}"}}""");

    /// <summary>A ConfigMap whose data holds <paramref name="bytes"/> bytes of filler (the mixed load's 1 KiB and 50 KiB objects).</summary>
    public static HttpContent SizedBody(string name, int bytes) =>
        Json($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"filler":"{{{new string('y', bytes)}}}"}}""");

    public static HttpContent StampedBody(string name, int sequence, long timestamp) =>
        Json(string.Create(CultureInfo.InvariantCulture, $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"filler":"{{{Filler}}}","{{{StampKey}}}":"{{{sequence}}}.{{{timestamp}}}"}}"""));

    public static HttpContent Namespace(string name) =>
        Json($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}""");

    private static ByteArrayContent Json(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
