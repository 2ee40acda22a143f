using System.CommandLine;

namespace K3sLab.K3s.Cli;

/// <summary>
/// Options the way k3s declares them: a flag with an optional short alias whose default comes from an environment
/// variable (<c>K3S_TOKEN</c>, <c>K3S_DATA_DIR</c>, ...) and then from a fixed default.
/// </summary>
internal static class EnvOption
{
    public static Option<string?> String(string name, string? alias, string? env, string description, string? fallback = null)
    {
        var option = alias is null ? new Option<string?>(name) : new Option<string?>(name, alias);
        option.Description = env is null ? description : $"{description} [${env}]";
        option.DefaultValueFactory = _ => (env is null ? null : Environment.GetEnvironmentVariable(env) is { Length: > 0 } value ? value : null) ?? fallback;
        return option;
    }

    public static Option<int> Int(string name, string description, int fallback)
    {
        return new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback };
    }

    public static Option<string[]> List(string name, string? alias, string description)
    {
        var option = alias is null ? new Option<string[]>(name) : new Option<string[]>(name, alias);
        option.Description = description;
        option.AllowMultipleArgumentsPerToken = false;
        option.DefaultValueFactory = _ => [];
        return option;
    }

    public static Option<bool> Flag(string name, string? env, string description)
    {
        var option = new Option<bool>(name) { Description = env is null ? description : $"{description} [${env}]" };
        option.DefaultValueFactory = _ => env is not null && Environment.GetEnvironmentVariable(env) is "true" or "1";
        return option;
    }
}
