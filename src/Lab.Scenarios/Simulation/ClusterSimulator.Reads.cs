using System.Buffers.Binary;
using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

internal sealed partial class ClusterSimulator
{
    private int _readIndexReads;

    /// <summary>
    /// Sends a Get through ReadIndex rather than the log. The context is the request's history clock value, unique per
    /// attempt, so an answer to an earlier attempt can never complete a retry. With no leader known the read is
    /// refused at once (the core would drop it).
    /// </summary>
    private void RequestReadIndex(SimulatedMember member, SimulatedClient c)
    {
        var p = c.Pending!;
        var node = member.Node!;
        if (node.Role != RaftRole.Leader && node.Leader == RaftNode.None)
        {
            Refused(c, "no leader", 0);
            return;
        }
        var context = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(context, p.Call);
        node.ReadIndex(context);
    }

    void IMemberHost.OnReadIndex(SimulatedMember member, ReadState state)
    {
        var call = BinaryPrimitives.ReadInt64LittleEndian(state.Context);
        var c = _clients.FirstOrDefault(c => c.Pending is { } p && p.Call == call && p.Member == member.Id && p.Incarnation == member.Incarnation);
        if (c is null)
        {
            return; // the client gave up on this attempt
        }
        var cmd = c.Pending!.Command;
        var local = member.Kv.Get(cmd.Key);
        _readIndexReads++;
        Complete(c, new KvResult(cmd.RequestId, true, 0, local?.Value, local?.ModRevision ?? 0), state.Index, 0, null);
    }
}
