namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class ConfChangeTests
{
    [Theory]
    [InlineData(ConfChangeType.AddVoter)]
    [InlineData(ConfChangeType.AddLearner)]
    [InlineData(ConfChangeType.PromoteLearner)]
    [InlineData(ConfChangeType.RemoveNode)]
    public void Decode_EncodedChange_RoundTrips(ConfChangeType type)
    {
        var change = new ConfChange(type, 0x0102030405060708, [9, 8, 7]);
        var decoded = ConfChange.Decode(change.Encode());
        decoded.Should().Match<ConfChange>(c => c.Type == type && c.NodeId == change.NodeId && c.Context.SequenceEqual(change.Context));
    }

    [Fact]
    public void Encode_Layout_VersionTypeLittleEndianIdContext()
    {
        new ConfChange(ConfChangeType.PromoteLearner, 4, [0xAA]).Encode().Should().Equal(1, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0xAA);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 2, 0, 1, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 9, 1, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 1 })]
    public void Decode_Malformed_ThrowsFormatException(byte[] bytes)
    {
        var act = () => ConfChange.Decode(bytes);
        act.Should().Throw<FormatException>();
    }

    [Fact]
    public void ConfState_SameMembersInAnyOrder_Equal()
    {
        new ConfState([3, 1, 2, 2], [5, 4]).Should().Be(new ConfState([1, 2, 3], [4, 5]));
    }
}
