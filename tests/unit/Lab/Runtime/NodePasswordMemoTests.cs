using K3sLab.K3s.Supervisor;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>The memo that spares a node's repeat requests a scrypt check: it must never turn a mismatch into a match.</summary>
[Trait("Category", "Unit")]
public sealed class NodePasswordMemoTests
{
    private const string Hash = "$1:0011223344556677:15:8:1:abc";

    [Fact]
    public void Matches_RememberedPasswordAndHash_IsTrue()
    {
        var memo = new NodePasswordMemo();
        memo.Remember("agent-0", Hash, "secret");

        memo.Matches("agent-0", Hash, "secret").Should().BeTrue();
    }

    [Fact]
    public void Matches_OtherPassword_OtherHash_OrOtherNode_IsFalse()
    {
        var memo = new NodePasswordMemo();
        memo.Remember("agent-0", Hash, "secret");

        memo.Matches("agent-0", Hash, "secreT").Should().BeFalse();
        memo.Matches("agent-0", Hash + "d", "secret").Should().BeFalse("a replaced secret must be checked in full");
        memo.Matches("agent-1", Hash, "secret").Should().BeFalse();
        new NodePasswordMemo().Matches("agent-0", Hash, "secret").Should().BeFalse();
    }

    [Fact]
    public void Forget_DropsTheName()
    {
        var memo = new NodePasswordMemo();
        memo.Remember("agent-0", Hash, "secret");
        memo.Forget("agent-0");

        memo.Matches("agent-0", Hash, "secret").Should().BeFalse();
    }

    [Fact]
    public void Remember_PastCapacity_StartsOverWithoutLosingTheNewEntry()
    {
        var memo = new NodePasswordMemo();
        for (var i = 0; i < 5000; i++)
        {
            memo.Remember($"node-{i}", Hash, "p" + i);
        }

        memo.Matches("node-4999", Hash, "p4999").Should().BeTrue();
        memo.Matches("node-0", Hash, "p0").Should().BeFalse();
    }
}
