using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// Ports (<c>validateContainerPorts</c>, <c>checkHostPortConflicts</c>, <c>IsValidPortNum</c>): numbers from 1 to
/// 65535, IANA service names, TCP, UDP or SCTP, and host ports that do not repeat.
/// </summary>
internal static class PortRules
{
    public static void ContainerPorts(JsonArray? ports, string path, FieldErrorList errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in ports.Items())
        {
            var at = $"{path}[{i}]";
            if (port.Str("name") is { Length: > 0 } name)
            {
                var messages = Formats.PortName(name);
                if (messages.Count > 0)
                {
                    errors.InvalidEach($"{at}.name", name, messages);
                }
                else if (!names.Add(name))
                {
                    errors.Duplicate($"{at}.name", name);
                }
            }

            var containerPort = port.Long("containerPort") ?? 0;
            if (containerPort == 0)
            {
                errors.Required($"{at}.containerPort");
            }
            else
            {
                Number($"{at}.containerPort", containerPort, errors);
            }

            if (port.Long("hostPort") is { } hostPort and not 0)
            {
                Number($"{at}.hostPort", hostPort, errors);
            }

            if (port.Str("protocol") is { Length: > 0 } protocol && !IsProtocol(protocol))
            {
                errors.NotSupported($"{at}.protocol", protocol, "SCTP", "TCP", "UDP");
            }
        }
    }

    /// <summary>Host ports must not repeat across the containers given (by protocol, host IP and port).</summary>
    public static void HostPortConflicts(IEnumerable<(int Index, JsonNode? Container)> containers, string path, FieldErrorList errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, container) in containers)
        {
            foreach (var (j, port) in container.Arr("ports").Items())
            {
                if (port.Long("hostPort") is not { } hostPort || hostPort == 0)
                {
                    continue;
                }

                var key = $"{port.Str("protocol") ?? "TCP"}/{port.Str("hostIP")}/{hostPort}";
                if (!seen.Add(key))
                {
                    errors.Duplicate($"{path}[{i}].ports[{j}].hostPort", key);
                }
            }
        }
    }

    public static bool IsProtocol(string protocol) => protocol is "TCP" or "UDP" or "SCTP";

    public static void Number(string path, long port, FieldErrorList errors)
    {
        foreach (var message in Formats.PortNumber(port))
        {
            errors.Invalid(path, port, message);
        }
    }
}
