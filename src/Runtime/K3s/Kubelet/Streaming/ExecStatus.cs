using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// The <c>metav1.Status</c> a v4/v5 remote command writes on its error channel when the command ends, worded as
/// the CRI streaming server (kubelet, containerd) words it: Success; a non-zero exit as Failure with reason
/// <c>NonZeroExitCode</c> and a cause <c>ExitCode</c> carrying the code (client-go turns that into the exit code
/// kubectl exits with); anything else as an InternalError. Pure.
/// </summary>
internal static class ExecStatus
{
    public static JsonObject Success() => new() { ["metadata"] = new JsonObject(), ["status"] = "Success" };

    public static JsonObject Exited(IReadOnlyList<string> command, int code) => new()
    {
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = string.Create(CultureInfo.InvariantCulture, $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {code}"),
        ["reason"] = "NonZeroExitCode",
        ["details"] = new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = code.ToString(CultureInfo.InvariantCulture) }),
        },
    };

    /// <summary>apierrors.NewInternalError(err) as the kubelet writes it when the command could not run.</summary>
    public static JsonObject Internal(string error) => new()
    {
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = $"Internal error occurred: {error}",
        ["reason"] = "InternalError",
        ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = error }) },
        ["code"] = 500,
    };
}
