namespace K3sLab.Lab;

/// <summary>
/// A prerequisite of the lab could not be met (no Docker engine, no root, debootstrap failed, ...).
/// The message is one sentence naming the cause and the fix, fit to print as the command's last line.
/// </summary>
public sealed class LabSetupException : Exception
{
    public LabSetupException(string message)
        : base(message)
    {
    }

    public LabSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
