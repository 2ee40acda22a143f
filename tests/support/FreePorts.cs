using K3sLab.Lab.Host;

namespace K3sLab.Tests.Support;

/// <summary>
/// Ports for listeners a test starts on loopback, from <see cref="Loopback.FreePort"/>: below Linux's ephemeral range
/// (32768 and up), so a client connection elsewhere on the machine cannot take one between the pick and the
/// listener's start (a random port up to 40000 once collided with a client port in CI); each checked free by binding
/// it; and never one this process handed out recently. Tests take ports long before they listen on them, and some
/// keep a port closed on purpose, while other test classes run at the same time: without that memory two of them
/// could draw the same port.
/// </summary>
public static class FreePorts
{
    /// <summary>A port on 127.0.0.1 no one listens on now, outside the ephemeral range, not handed out recently.</summary>
    public static int Next() => Loopback.FreePort();
}
