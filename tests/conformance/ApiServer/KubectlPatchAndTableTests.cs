using System.Text.Json;
using System.Text.RegularExpressions;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// What kubectl 1.27 and 1.33 send for built-in kinds once an object exists: strategic merge patches from
/// <c>apply</c>, <c>patch</c> and <c>edit</c>, and server-side tables from <c>get</c> (plain, <c>-o wide</c>, <c>-w</c>).
/// </summary>
[Trait("Category", "Conformance")]
public sealed partial class KubectlPatchAndTableTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task ApplyPatchAndEdit_MergeContainersAndEnvByName(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "smp-" + kubectl.Replace('.', '-');

        (await Apply(kubectl, await Manifest(name, 1, ["A"], ["app", "side"], ct), ct)).Should().Be($"deployment.apps/{name} created\n");
        (await Apply(kubectl, await Manifest(name, 2, ["A", "B"], ["app", "side"], ct), ct)).Should().Be($"deployment.apps/{name} configured\n");
        var second = await Get(kubectl, name, ct);
        Spec(second).GetProperty("replicas").GetInt32().Should().Be(2);
        Names(Container(second, "app").GetProperty("env")).Should().Equal("A", "B");

        // Dropping a container from the manifest: kubectl sends $patch: delete for it and $setElementOrder for the rest.
        (await Apply(kubectl, await Manifest(name, 2, ["B"], ["app"], ct), ct)).Should().Be($"deployment.apps/{name} configured\n");
        var third = await Get(kubectl, name, ct);
        Names(Spec(third).GetProperty("template").GetProperty("spec").GetProperty("containers")).Should().Equal("app");
        Names(Container(third, "app").GetProperty("env")).Should().Equal("B");

        // kubectl patch defaults to a strategic merge patch: one container's image changes, the list is not replaced.
        await Run(kubectl, ct, "patch", "deployment", name, "-p", """{"spec":{"template":{"spec":{"containers":[{"name":"extra","image":"pause"}]}}}}""");
        await Run(kubectl, ct, "patch", "deployment", name, "-p", """{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"busybox:2"}]}}}}""");
        var patched = await Get(kubectl, name, ct);
        Names(Spec(patched).GetProperty("template").GetProperty("spec").GetProperty("containers")).Should().Equal("app", "extra");
        Container(patched, "app").GetProperty("image").GetString().Should().Be("busybox:2");

        // kubectl edit computes a strategic merge patch from the editor's change.
        var editor = new Dictionary<string, string> { ["KUBE_EDITOR"] = "sed -i -e s/replicas:\\ 2/replicas:\\ 5/" };
        var edit = await Kubectl.RunAsync(kubectl, server.Kubeconfig, editor, ct, "edit", "deployment", name);
        edit.ExitCode.Should().Be(0, edit.Stderr);
        edit.Stdout.Should().Be($"deployment.apps/{name} edited\n");
        Spec(await Get(kubectl, name, ct)).GetProperty("replicas").GetInt32().Should().Be(5);
    }

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task Get_PrintsTheKindsColumns(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "tbl-" + kubectl.Replace('.', '-');
        await Apply(kubectl, await Manifest(name, 3, ["A"], ["app", "side"], ct), ct);

        var plain = Lines((await Run(kubectl, ct, "get", "deployment", name)).Stdout);
        Words(plain[0]).Should().Equal("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE");
        Words(plain[1]).Take(4).Should().Equal(name, "0/3", "0", "0");
        Words(plain[1])[4].Should().MatchRegex("^[0-9]+s$");

        var wide = Lines((await Run(kubectl, ct, "get", "deployment", name, "-o", "wide")).Stdout);
        Words(wide[0]).Should().Equal("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR");
        Words(wide[1]).Skip(5).Should().Equal("app,side", "busybox,pause", $"app={name}");

        var namespaces = Lines((await Run(kubectl, ct, "get", "namespaces")).Stdout);
        Words(namespaces[0]).Should().Equal("NAME", "STATUS", "AGE");
        namespaces.Should().Contain(l => Words(l)[0] == "kube-system" && Words(l)[1] == "Active");

        var labels = Lines((await Run(kubectl, ct, "get", "deployment", name, "--show-labels")).Stdout);
        Words(labels[0]).Last().Should().Be("LABELS");
        Words(labels[1]).Last().Should().Be($"app={name}");

        var all = Lines((await Run(kubectl, ct, "get", "deployments", "-A")).Stdout);
        Words(all[0]).Should().Equal("NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE");
        all.Should().Contain(l => Words(l)[0] == "default" && Words(l)[1] == name);
    }

    private async Task<string> Manifest(string name, int replicas, string[] env, string[] containers, CancellationToken ct)
    {
        var images = new Dictionary<string, string> { ["app"] = "busybox", ["side"] = "pause" };
        var envList = "[" + string.Join(", ", env.Select(e => "{name: " + e + ", value: v" + e + "}")) + "]";
        var lines = new List<string>
        {
            "apiVersion: apps/v1",
            "kind: Deployment",
            "metadata:",
            "  name: " + name,
            "  labels: {app: " + name + "}",
            "spec:",
            "  replicas: " + replicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "  selector: {matchLabels: {app: " + name + "}}",
            "  template:",
            "    metadata: {labels: {app: " + name + "}}",
            "    spec:",
            "      containers:",
        };
        foreach (var c in containers)
        {
            lines.AddRange(["      - name: " + c, "        image: " + images[c], "        env: " + envList]);
        }

        var file = Path.Combine(server.Root.FullName, $"{name}-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, string.Join("\n", lines) + "\n", ct);
        return file;
    }

    private async Task<string> Apply(string kubectl, string file, CancellationToken ct) =>
        (await Run(kubectl, ct, "apply", "-f", file)).Stdout;

    private async Task<JsonElement> Get(string kubectl, string name, CancellationToken ct) =>
        JsonDocument.Parse((await Run(kubectl, ct, "get", "deployment", name, "-o", "json")).Stdout).RootElement;

    private static JsonElement Spec(JsonElement deployment) => deployment.GetProperty("spec");

    private static JsonElement Container(JsonElement deployment, string name) =>
        Spec(deployment).GetProperty("template").GetProperty("spec").GetProperty("containers").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static string?[] Names(JsonElement list) => list.EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToArray();

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string[] Words(string line) => Spaces().Split(line.Trim());

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    private async Task<KubectlResult> Run(string kubectl, CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)} failed: {result.Stderr}\nserver log:\n{server.Log}");
        return result;
    }
}
