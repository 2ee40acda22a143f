namespace K3sLab.K3s.Bootstrap;

/// <summary>One line of <c>server/cred/passwd</c>: <c>password,user,uid,group</c> (k3s writes the user twice).</summary>
internal sealed record PasswdEntry(string Password, string User, string Uid, string Group);

/// <summary>
/// k3s's <c>server/cred/passwd</c> CSV. It holds the shared secrets of the <c>node</c> user (group
/// <c>k3s:agent</c>) and the <c>server</c> user (group <c>k3s:server</c>) that the supervisor checks join tokens against.
/// </summary>
internal static class PasswdFile
{
    public const string AgentGroup = "k3s:agent";
    public const string ServerGroup = "k3s:server";

    public static IReadOnlyList<PasswdEntry> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var entries = new List<PasswdEntry>();
        foreach (var (line, number) in File.ReadLines(path).Select((l, i) => (l.Trim(), i + 1)))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            if (fields.Length < 4 || fields[0].Length == 0)
            {
                throw new InvalidDataException($"{path}:{number}: expected 'password,user,uid,group'; fix or delete the line and restart");
            }

            entries.Add(new PasswdEntry(fields[0], fields[1], fields[2], fields[3]));
        }

        return entries;
    }

    public static void Write(string path, IEnumerable<PasswdEntry> entries)
    {
        AtomicFile.Write(path, string.Concat(entries.Select(e => $"{e.Password},{e.User},{e.Uid},{e.Group}\n")));
    }
}
