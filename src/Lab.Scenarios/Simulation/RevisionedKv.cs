using System.Text;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// A small revisioned key-value store: put, delete and compare-and-swap, each successful write bumps a global revision.
/// Commands are text: "put k v", "del k", "cas k expectedRevision v".
/// </summary>
internal sealed class RevisionedKv : IReplicatedStateMachine
{
    private readonly SortedDictionary<string, (string Value, ulong ModRevision)> _data = new(StringComparer.Ordinal);

    public ulong Revision { get; private set; }
    public ulong AppliedIndex { get; private set; }

    public (string Value, ulong ModRevision)? Get(string key) => _data.TryGetValue(key, out var v) ? v : null;

    public void Apply(ulong index, byte[] command)
    {
        AppliedIndex = index;
        if (command.Length == 0)
        {
            return;
        }
        var parts = Encoding.UTF8.GetString(command).Split(' ');
        switch (parts[0])
        {
            case "put":
                Revision++;
                _data[parts[1]] = (parts[2], Revision);
                break;
            case "del" when _data.ContainsKey(parts[1]):
                Revision++;
                _data.Remove(parts[1]);
                break;
            case "cas" when _data.TryGetValue(parts[1], out var cur) && cur.ModRevision == ulong.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture):
                Revision++;
                _data[parts[1]] = (parts[3], Revision);
                break;
            default:
                break;
        }
    }

    public ulong StateHash
    {
        get
        {
            // FNV-1a over the ordered contents: deterministic across processes, unlike string.GetHashCode.
            var h = 14695981039346656037UL;
            void Mix(string s)
            {
                foreach (var c in s)
                {
                    h = (h ^ c) * 1099511628211UL;
                }
                h = (h ^ 0xFF) * 1099511628211UL;
            }
            Mix(Revision.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (k, v) in _data)
            {
                Mix(k);
                Mix(v.Value);
                Mix(v.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            return h;
        }
    }
}
