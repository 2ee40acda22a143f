using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Tls;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>The user and groups of a subject, read as Go's pkix.Name reads them.</summary>
[Trait("Category", "Unit")]
public sealed class SubjectNameTests
{
    [Fact]
    public void Of_PlainSubject_CommonNameAndOrganizationsInEncodedOrder()
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName("jane");
        builder.AddOrganizationName("devs");
        builder.AddOrganizationName("ops");

        var name = SubjectName.Of(builder.Build());

        name.CommonName.Should().Be("jane");
        // The builder encodes the RDN added last first; Go's pkix.Name (and this reader) keep the encoded order.
        name.Organizations.Should().Equal("ops", "devs");
        name.Organizations.Should().Equal(builder.Build().EnumerateRelativeDistinguishedNames(reversed: false)
            .Where(r => r.GetSingleElementType().Value == "2.5.4.10").Select(r => r.GetSingleElementValue()));
    }

    [Fact]
    public void Of_MultiValuedRdnAndTwoCommonNames_ReadsEveryAttribute_LastCommonNameWins()
    {
        // SEQUENCE { SET { CN=first, O=system:masters }, SET { CN=second } }: one RDN with two attributes.
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSetOf())
            {
                Attribute(writer, "2.5.4.3", "first");
                Attribute(writer, "2.5.4.10", "system:masters");
            }

            using (writer.PushSetOf())
            {
                Attribute(writer, "2.5.4.3", "second");
            }
        }

        var name = SubjectName.Of(new X500DistinguishedName(writer.Encode()));

        name.CommonName.Should().Be("second");
        name.Organizations.Should().Equal("system:masters");
    }

    private static void Attribute(AsnWriter writer, string oid, string value)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
        }
    }
}
