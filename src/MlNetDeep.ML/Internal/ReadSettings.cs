using Microsoft.ML.Runtime;

namespace MlNetDeep.ML.Internal;

/// <summary>How the trainer reads a data view: what it does with an unreadable row, where it logs, when it stops.</summary>
internal sealed class ReadSettings(bool skipUnreadableRows, CancellationToken cancellation, IChannel? channel)
{
    private readonly object _gate = new();

    /// <summary>Skip (and log) a row whose features cannot be read instead of stopping.</summary>
    public bool SkipUnreadableRows { get; } = skipUnreadableRows;

    /// <summary>Checked before a pass and every <see cref="ViewRows.CancellationInterval"/> rows.</summary>
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Logs a warning on the MLContext's log; callable from the background reader.</summary>
    public void Warning(string message)
    {
        lock (_gate)
        {
            channel?.Warning(MessageSensitivity.None, message);
        }
    }

    /// <summary>Logs an information message on the MLContext's log; callable from the background reader.</summary>
    public void Info(string message)
    {
        lock (_gate)
        {
            channel?.Info(MessageSensitivity.None, message);
        }
    }
}
