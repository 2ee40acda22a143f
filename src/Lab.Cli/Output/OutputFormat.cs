using System.CommandLine;

namespace K3sLab.Cli.Output;

/// <summary>The <c>-o/--output</c> option every command offers: human text (default) or JSON on stdout.</summary>
internal static class OutputFormat
{
    public const string Text = "text";
    public const string Json = "json";

    public static Option<string> CreateOption()
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = "Output format: text or json",
            DefaultValueFactory = _ => Text,
        };
        option.AcceptOnlyFromAmong(Text, Json);
        return option;
    }
}
