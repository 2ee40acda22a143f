using System.Globalization;
using System.Text;
using K3sLab.Lab;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>What a script step does; see the header of <c>etcdctl-script.txt</c> for the syntax of each.</summary>
internal enum EtcdctlStepKind
{
    /// <summary>Run etcdctl once.</summary>
    Run,

    /// <summary>Run etcdctl once and bind a variable to the lease id it printed.</summary>
    Let,

    /// <summary>Start etcdctl (a watch) in the background under a name.</summary>
    WatchStart,

    /// <summary>Collect a number of lines from a background watch, then stop it.</summary>
    WatchCollect,

    /// <summary>Run etcdctl until its stdout is empty, with a deadline.</summary>
    UntilEmpty,
}

/// <summary>
/// One line of the script. <see cref="Args"/> may hold <c>$NAME</c> references to variables bound by earlier
/// <see cref="EtcdctlStepKind.Let"/> steps; <see cref="Name"/> is the variable or watch name;
/// <see cref="Count"/> is the line count of a collect or the deadline in seconds of an until-empty.
/// </summary>
internal sealed record EtcdctlStep(int Line, string Text, EtcdctlStepKind Kind, IReadOnlyList<string> Args, string? Stdin, string? Name, int Count)
{
    public override string ToString() => $"line {Line.ToString(CultureInfo.InvariantCulture)}: {Text}";
}

/// <summary>The parsed <c>etcdctl-script.txt</c>: the same steps run against every store.</summary>
internal static class EtcdctlScript
{
    public const string FileName = "etcdctl-script.txt";

    /// <summary>
    /// The script beside the test assembly when the build copied it there, else the one in the source tree
    /// (the test project does not list it as content yet).
    /// </summary>
    public static string Locate()
    {
        var besideAssembly = Path.Combine(AppContext.BaseDirectory, "Datastore", FileName);
        return File.Exists(besideAssembly)
            ? besideAssembly
            : Path.Combine(LabPaths.Root, "tests", "conformance", "Datastore", FileName);
    }

    public static IReadOnlyList<EtcdctlStep> Parse(string text)
    {
        var steps = new List<EtcdctlStep>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                steps.Add(ParseStep(i + 1, line));
            }
        }

        return steps;
    }

    private static EtcdctlStep ParseStep(int number, string line)
    {
        string? stdin = null;
        var command = line;
        var redirect = line.IndexOf(" <<< ", StringComparison.Ordinal);
        if (redirect >= 0)
        {
            command = line[..redirect];
            stdin = ParseStdin(number, line[(redirect + 5)..].Trim());
        }

        var words = Tokenize(number, command);
        EtcdctlStep Step(EtcdctlStepKind kind, IReadOnlyList<string> args, string? name = null, int count = 0) =>
            new(number, line, kind, args, stdin, name, count);

        return words[0] switch
        {
            "@let" when words.Count > 2 => Step(EtcdctlStepKind.Let, words[2..], words[1]),
            "@watch-start" when words.Count > 2 => Step(EtcdctlStepKind.WatchStart, words[2..], words[1]),
            "@watch-collect" when words.Count == 3 => Step(EtcdctlStepKind.WatchCollect, [], words[1], Number(number, words[2])),
            "@until-empty" when words.Count > 2 => Step(EtcdctlStepKind.UntilEmpty, words[2..], count: Number(number, words[1])),
            ['@', ..] => throw new FormatException($"{FileName} line {number}: unknown or malformed directive: {line}"),
            _ => Step(EtcdctlStepKind.Run, words),
        };
    }

    private static int Number(int line, string word) =>
        int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"{FileName} line {line}: '{word}' is not a number");

    /// <summary><c>'text'</c> with \n, \t, \' and \\ escapes, or <c>@repeat:c:n</c> (n copies of c: values too big for argv).</summary>
    private static string ParseStdin(int line, string spec)
    {
        if (spec.StartsWith("@repeat:", StringComparison.Ordinal) && spec.Split(':') is [_, [var c], var n])
        {
            return new string(c, Number(line, n));
        }

        var words = Tokenize(line, spec);
        return words.Count == 1 ? words[0] : throw new FormatException($"{FileName} line {line}: stdin must be one quoted string or @repeat:c:n");
    }

    /// <summary>Splits on spaces outside quotes; inside <c>'...'</c> and <c>"..."</c>, backslash escapes \n, \t, \\ and the quote.</summary>
    private static List<string> Tokenize(int line, string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\'' or '"')
            {
                inWord = true;
                for (i++; i < text.Length && text[i] != c; i++)
                {
                    word.Append(text[i] == '\\' && i + 1 < text.Length ? Unescape(text[++i]) : text[i]);
                }

                if (i >= text.Length)
                {
                    throw new FormatException($"{FileName} line {line}: unterminated {c}quote{c}");
                }
            }
            else if (c == ' ')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                inWord = true;
                word.Append(c);
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words.Count > 0 ? words : throw new FormatException($"{FileName} line {line}: empty step");
    }

    private static char Unescape(char c) => c switch
    {
        'n' => '\n',
        't' => '\t',
        _ => c,
    };
}
