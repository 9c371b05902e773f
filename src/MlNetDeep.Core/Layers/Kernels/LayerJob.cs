using MlNetDeep.Kernels;

namespace MlNetDeep.Layers;

/// <summary>
/// A cached <see cref="ParallelJob"/> for the pooling and normalisation layers: it runs a layer's
/// <c>(phase, item)</c> body over independent items (planes, samples or column blocks) on both cores when the
/// work is large enough, and inline otherwise. Created once per layer, so dispatching allocates nothing.
/// </summary>
internal sealed class LayerJob : ParallelJob
{
    /// <summary>Below this many values touched, a pass runs on the calling thread (dispatch costs more than it saves).</summary>
    public const int ParallelThreshold = 1 << 15;

    private readonly Action<int, int> _body;
    private int _phase;

    /// <summary>Creates a job that calls <paramref name="body"/>(phase, item).</summary>
    public LayerJob(Action<int, int> body) => _body = body;

    /// <summary>Runs <c>body(phase, i)</c> for every i in [0, <paramref name="count"/>).</summary>
    /// <param name="phase">Which pass of the layer to run; passed to every item.</param>
    /// <param name="count">The number of independent items.</param>
    /// <param name="work">The number of values the pass touches, to decide whether to go parallel.</param>
    public void Run(int phase, int count, long work)
    {
        if (count > 1 && work >= ParallelThreshold && !WorkerPool.IsInsideJob)
        {
            _phase = phase;
            WorkerPool.For(count, this);
            return;
        }

        for (var i = 0; i < count; i++)
        {
            _body(phase, i);
        }
    }

    /// <inheritdoc />
    public override void Execute(int index) => _body(_phase, index);
}
