using System.Runtime.InteropServices;
using MlNetDeep.Kernels;

namespace MlNetDeep.Layers;

/// <summary>
/// A copy of the weights that a form derived from them (a Winograd filter transform, the direct kernels' weight layout)
/// was made from, so that the form is made again exactly when the weights changed: an optimizer step, a loaded file, a
/// user's write through a span — anything, since the comparison is of the values themselves, bit for bit.
/// </summary>
/// <remarks>
/// Weights marked as fixed (<see cref="Tensors.Tensor"/>'s ValuesFixed: a scored model's) are not compared once the form
/// is made. A large bank (at least <see cref="SplitValues"/> weights) is compared in two halves on two cores when the
/// worker pool is free, the comparison being memory traffic; the result does not depend on the split.
/// </remarks>
internal sealed unsafe class WeightSnapshot : ParallelJob
{
    /// <summary>From this many weights the comparison runs in two halves on two cores.</summary>
    internal const int SplitValues = 1 << 16;

    private readonly float[] _values;
    private bool _valid;
    private float* _weight;
    private int _differs;

    /// <summary>Creates an empty snapshot of <paramref name="size"/> weights (nothing taken yet: nothing matches it).</summary>
    public WeightSnapshot(int size) => _values = new float[size];

    /// <summary>The number of weights.</summary>
    public int Size => _values.Length;

    /// <summary>
    /// True when a form was made and the weights at <paramref name="weight"/> are still bit for bit those it was made from
    /// (or are fixed: <paramref name="weightsFixed"/>).
    /// </summary>
    public bool Matches(float* weight, bool weightsFixed) => _valid && (weightsFixed || Same(weight));

    /// <summary>Marks the snapshot as not taken, before a form is made again (a failure half way leaves it so).</summary>
    public void Invalidate() => _valid = false;

    /// <summary>Copies part <paramref name="part"/> of <paramref name="parts"/> of the weights (parts may run on several cores).</summary>
    public void CopyPart(float* weight, int part, int parts)
    {
        var first = (int)((long)Size * part / parts);
        var end = (int)((long)Size * (part + 1) / parts);
        new ReadOnlySpan<float>(weight + first, end - first).CopyTo(_values.AsSpan(first, end - first));
    }

    /// <summary>Marks the snapshot as taken once every part is copied (the form is made from those weights).</summary>
    public void Validate() => _valid = true;

    /// <summary>Copies all the weights and marks the snapshot as taken.</summary>
    public void Take(float* weight)
    {
        CopyPart(weight, 0, 1);
        _valid = true;
    }

    /// <summary>Compares half <paramref name="index"/> of the weights (while <see cref="Same"/> runs on two cores).</summary>
    public override void Execute(int index)
    {
        if (!SamePart(_weight, index, 2))
        {
            Volatile.Write(ref _differs, 1);
        }
    }

    private bool Same(float* weight)
    {
        if (Size < SplitValues || WorkerPool.IsInsideJob || WorkerPool.MaxDegreeOfParallelism < 2)
        {
            return SamePart(weight, 0, 1);
        }

        _weight = weight;
        _differs = 0;
        try
        {
            WorkerPool.For(2, this);
        }
        finally
        {
            _weight = null;
        }

        return _differs == 0;
    }

    private bool SamePart(float* weight, int part, int parts)
    {
        var first = (int)((long)Size * part / parts);
        var end = (int)((long)Size * (part + 1) / parts);
        return MemoryMarshal.Cast<float, int>(new ReadOnlySpan<float>(weight + first, end - first))
            .SequenceEqual(MemoryMarshal.Cast<float, int>(_values.AsSpan(first, end - first)));
    }
}
