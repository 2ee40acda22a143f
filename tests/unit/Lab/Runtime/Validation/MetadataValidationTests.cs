namespace K3sLab.Lab.Tests.Runtime.Validation;

/// <summary>Names, labels and annotations, with kube-apiserver 1.33's messages.</summary>
[Trait("Category", "Unit")]
public sealed class MetadataValidationTests
{
    private const string LabelValueRule = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    private const string NamePartRule = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    [Fact]
    public void LabelValue_WithSpace_IsInvalidOnTheLabelsMap()
    {
        Validated.Single(ConfigMap("""{"labels":{"app":"my app"}}""")).Should().Be(("metadata.labels", $"Invalid value: \"my app\": {LabelValueRule}"));
    }

    [Fact]
    public void LabelValue_Of64Characters_IsTooLongOnly()
    {
        Validated.Single(ConfigMap("{\"labels\":{\"app\":\"" + new string('a', 64) + "\"}}")).Message.Should().Be($"Invalid value: \"{new string('a', 64)}\": must be no more than 63 characters");
    }

    [Theory]
    [InlineData("-app", NamePartRule)]
    [InlineData("Example.com/app", "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    [InlineData("/app", "prefix part must be non-empty")]
    [InlineData("a/b/c", "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
    public void LabelKey_NotAQualifiedName_NamesTheFailingPart(string key, string message)
    {
        Validated.Single(ConfigMap("{\"labels\":{\"" + key + "\":\"x\"}}")).Should().Be(("metadata.labels", $"Invalid value: \"{key}\": {message}"));
    }

    [Fact]
    public void LabelKey_EmptyNamePart_IsNonEmptyAndRegex()
    {
        Validated.Causes(ConfigMap("""{"labels":{"example.com/":"x"}}""")).Select(c => c.Message).Should().Equal(
            "Invalid value: \"example.com/\": name part must be non-empty",
            $"Invalid value: \"example.com/\": {NamePartRule}");
    }

    [Fact]
    public void AnnotationKey_IsCheckedCaseInsensitively_AndTheMapIsLimitedTo256KiB()
    {
        Validated.Causes(ConfigMap("""{"annotations":{"Example.COM/Owner":"x"}}""")).Should().BeEmpty();
        Validated.Single(ConfigMap("""{"annotations":{"bad key":"x"}}""")).Field.Should().Be("metadata.annotations");
        Validated.Single(ConfigMap("{\"annotations\":{\"big\":\"" + new string('x', 256 * 1024) + "\"}}"))
            .Should().Be(("metadata.annotations", "Too long: may not be more than 262144 bytes"));
    }

    [Fact]
    public void NameAndLabel_BothWrong_AreOneStatusWithBothCauses()
    {
        var message = Validated.Message("""{"kind":"ConfigMap","metadata":{"name":"Web","namespace":"default","labels":{"app":"a b"}}}""");

        message.Should().Be($"ConfigMap \"Web\" is invalid: [metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), metadata.labels: Invalid value: \"a b\": {LabelValueRule}]");
    }

    [Fact]
    public void Name_WithTrailingNewline_IsInvalid()
    {
        Validated.Single("""{"kind":"ConfigMap","metadata":{"name":"web\n","namespace":"default"}}""").Message.Should().StartWith("Invalid value: \"web\\n\": a lowercase RFC 1123 subdomain");
    }

    [Fact]
    public void Update_BadLabelOnAnyKind_IsInvalidWithoutRecheckingTheName()
    {
        var old = """{"kind":"Namespace","metadata":{"name":"team"}}""";

        Validated.Single("""{"kind":"Namespace","metadata":{"name":"team","labels":{"tier":"-x"}}}""", old).Field.Should().Be("metadata.labels");
    }

    private static string ConfigMap(string metadata) =>
        """{"kind":"ConfigMap","metadata":{"name":"cm","namespace":"default",""" + metadata[1..^1] + "}}";
}
