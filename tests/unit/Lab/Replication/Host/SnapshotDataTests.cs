using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;

namespace K3sLab.Lab.Tests.Replication.Host;

/// <summary>Snapshot data is encoded into one array of the announced size; a state machine that miscounts is refused.</summary>
[Trait("Category", "Unit")]
public sealed class SnapshotDataTests
{
    [Fact]
    public void Encode_RealState_DecodesToTheSameMembersAndState()
    {
        var state = new MvccState();
        for (var i = 0; i < 100; i++)
        {
            state.Apply(new TxnCommand(Put($"/k/{i % 37}", new string('v', i))), out _);
        }

        var members = new MemberTable();
        members.Add(7, ["https://127.0.0.1:2380"], isLearner: false);
        members.Add(9, ["https://127.0.0.2:2380"], isLearner: true);
        var view = state.CaptureSnapshot();

        var data = SnapshotData.Encode(members, new StateSnapshot(view.Length, view.WriteTo));

        var machine = new Restored();
        var decodedMembers = new MemberTable();
        SnapshotData.Decode(data, decodedMembers, machine);
        decodedMembers.List.Select(m => (m.Id, m.IsLearner)).Should().Equal((7UL, false), (9UL, true));
        machine.State!.HashKv(0).Should().Be(state.HashKv(0));
        K3sLab.Lab.Tests.Replication.State.MvccStateTests.Snapshot(machine.State).Should().Equal(K3sLab.Lab.Tests.Replication.State.MvccStateTests.Snapshot(state));
    }

    [Theory]
    [InlineData(-1, "wrote 99 snapshot bytes, not the 100 it announced")]
    [InlineData(1, "wrote more snapshot bytes than the 100 it announced")]
    public void Encode_MachineWritesOtherThanItAnnounced_Throws(int extra, string message)
    {
        var members = new MemberTable();
        members.Add(1, ["https://127.0.0.1:2380"], isLearner: false);
        var state = new StateSnapshot(100, s => s.Write(new byte[100 + extra]));

        var encode = () => SnapshotData.Encode(members, state);

        encode.Should().Throw<InvalidOperationException>().WithMessage($"*{message}*");
    }

    private static TxnRequest Put(string key, string value) =>
        new([], [new PutOp(System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes(value))], []);

    private sealed class Restored : IReplicatedStateMachine
    {
        public MvccState? State { get; private set; }

        public void Apply(ulong index, EntryPayload payload) => throw new NotSupportedException();

        public StateSnapshot CaptureSnapshot() => throw new NotSupportedException();

        public void Restore(Stream source) => State = MvccState.ReadSnapshot(source);

        public void LeaderChanged(ulong leader, bool isSelf)
        {
        }
    }
}
