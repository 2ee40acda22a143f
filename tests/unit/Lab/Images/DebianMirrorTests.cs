using K3sLab.Lab.Images;

namespace K3sLab.Lab.Tests.Images;

[Trait("Category", "Unit")]
public sealed class DebianMirrorTests
{
    [Fact]
    public void FromDeb822_SecurityStanzaFirst_PicksTheReleaseStanza()
    {
        const string sources = """
            Types: deb
            URIs: http://security.example/debian-security
            Suites: bookworm-security
            Components: main

            Types: deb
            # a comment: with a colon
            URIs: http://mirror.example/debian
            Suites: bookworm bookworm-updates
            Components: main contrib
            """;

        DebianMirror.FromDeb822(sources).Should().Be("http://mirror.example/debian");
    }

    [Fact]
    public void FromDeb822_OnlySourceOrNonMainStanzas_ReturnsNull()
    {
        const string sources = """
            Types: deb-src
            URIs: http://mirror.example/debian
            Suites: bookworm
            Components: main

            Types: deb
            URIs: http://mirror.example/debian
            Suites: bookworm
            Components: contrib non-free
            """;

        DebianMirror.FromDeb822(sources).Should().BeNull();
    }

    [Fact]
    public void FromOneLine_SkipsUpdatesAndOptions_ReturnsReleaseMirror()
    {
        string[] lines =
        [
            "# deb http://commented.example/debian bookworm main",
            "deb http://mirror.example/debian bookworm-updates main",
            "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main non-free",
        ];

        DebianMirror.FromOneLine(lines).Should().Be("http://mirror.example/debian");
    }
}
