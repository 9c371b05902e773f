using Microsoft.ML;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The part of a cursor that computes a transformer's added columns a page of a <see cref="RowBlock"/> at a time: the
/// <see cref="BlockCursor"/> has it read each input row into a slot, then score the page before serving it. A page can
/// be split in two: its first rows scored on a worker, the rest on the consumer's thread, which then serves them all.
/// </summary>
internal abstract class BlockScorer : IDisposable
{
    /// <summary>Reads what the added columns need from the input's current row into <paramref name="slot"/>.</summary>
    /// <param name="slot">The row's slot.</param>
    public abstract void Read(int slot);

    /// <summary>The getters of the added columns (null where inactive), indexed as the output schema.</summary>
    public abstract Delegate?[] Getters { get; }

    /// <summary>True when pages are split between the consumer's thread and a worker (two pool threads, not inside a job).</summary>
    public abstract bool SplitsPages { get; }

    /// <summary>
    /// How many of a page's first <paramref name="rows"/> rows to score on a worker (0: none, score them all at once),
    /// which then reads the next page if <paramref name="readsNext"/>.
    /// </summary>
    public abstract int WorkerRows(int rows, bool readsNext);

    /// <summary>
    /// Sets up the scoring of <paramref name="page"/>'s first <paramref name="rows"/> rows, the first
    /// <paramref name="workerRows"/> of them by <see cref="ScoreOnWorker"/> and the rest by <see cref="ScoreOnCaller"/>.
    /// </summary>
    public abstract void Begin(int page, int rows, int workerRows);

    /// <summary>Scores the caller's rows of the page set up by <see cref="Begin"/>; failures surface at the rows' getters.</summary>
    public abstract void ScoreOnCaller();

    /// <summary>Scores the worker's rows of the page set up by <see cref="Begin"/> (on the worker); failures surface at the rows' getters.</summary>
    public abstract void ScoreOnWorker();

    /// <summary>
    /// After a split page, tells the scorer how much later (ticks; negative: earlier) the worker finished its rows and
    /// any read-ahead than the consumer needed them: it moves rows between the two threads to even them out at the next
    /// page of that kind.
    /// </summary>
    public abstract void Balance(long workerLateTicks);

    /// <summary>Gives back what the scorer borrowed (a pooled network copy); its getters must not be called after.</summary>
    public virtual void Dispose()
    {
    }
}
