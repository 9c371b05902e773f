using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// What an inference pass of a convolution does to its outputs before anything reads them: the inference form of a
/// following <see cref="BatchNormalization"/> (per output channel, y = (z − μ̄)·a + β with a = γ/√(σ̄² + ε)) and/or a
/// following ReLU, so that the chain conv → batch norm → ReLU writes its outputs once instead of three times.
/// </summary>
/// <remarks>
/// The same operations in the same order as the layers themselves (the same float μ̄, a and β as
/// <see cref="BatchNormalization"/> computes, one subtraction and one fused multiply-add, then <see cref="VectorOps.Rectify"/>),
/// so the values are bit for bit those of running the layers one after the other. The paths of
/// <see cref="ConvolutionEngine"/> apply it where each writes its outputs (Winograd's output transforms, per sample or
/// block of samples), or in one pass over the batch's outputs on the worker pool after the convolution.
/// </remarks>
internal sealed unsafe class ConvolutionEpilogue : ParallelJob
{
    /// <summary>Planes of one item of the pass after the convolution.</summary>
    private const int PlanesPerItem = 16;

    /// <summary>Planes of at least this many values are taken one at a time; smaller ones a sample at a time.</summary>
    private const int SmallPlane = 16;

    private float[] _mean = [];
    private float[] _scale = [];
    private float[] _shift = [];
    private float[] _rowMean = [];
    private float[] _rowScale = [];
    private float[] _rowShift = [];
    private float* _output;
    private int _samples;
    private int _positions;
    private int _channels;

    /// <summary>Creates an epilogue with the given batch normalisation (or none) and ReLU (or not).</summary>
    /// <param name="normalization">The batch normalisation that follows the convolution, or null.</param>
    /// <param name="rectify">Whether a ReLU follows (after the normalisation, if any).</param>
    public ConvolutionEpilogue(BatchNormalization? normalization, bool rectify)
    {
        if (normalization is null && !rectify)
        {
            throw new ArgumentException("An epilogue does something: a batch normalisation, a ReLU or both.");
        }

        Normalization = normalization;
        Rectify = rectify;
    }

    /// <summary>The batch normalisation applied first, or null.</summary>
    public BatchNormalization? Normalization { get; }

    /// <summary>Whether ReLU is applied last.</summary>
    public bool Rectify { get; }

    /// <summary>Whether the normalisation's affine map is applied.</summary>
    public bool Normalizes => Normalization is not null;

    /// <summary>μ̄ per channel (padded with zeros to a multiple of 16); valid after <see cref="Prepare"/>.</summary>
    public float* Mean { get; private set; }

    /// <summary>a = γ/√(σ̄² + ε) per channel (padded); valid after <see cref="Prepare"/>.</summary>
    public float* Scale { get; private set; }

    /// <summary>β per channel (padded); valid after <see cref="Prepare"/>.</summary>
    public float* Shift { get; private set; }

    /// <summary>
    /// Reads the normalisation's current running statistics, γ and β (they may have changed since the last pass), for
    /// outputs of <paramref name="channels"/> planes of <paramref name="positions"/> values; called before the convolution
    /// runs (the apply methods only read what it prepared, from any thread).
    /// </summary>
    public void Prepare(int channels, int positions)
    {
        if (Normalization is not null)
        {
            var padded = (channels + 15) & ~15;
            if (_mean.Length != padded)
            {
                _mean = GC.AllocateArray<float>(padded, pinned: true);
                _scale = GC.AllocateArray<float>(padded, pinned: true);
                _shift = GC.AllocateArray<float>(padded, pinned: true);
            }

            Normalization.InferenceAffine(_mean, _scale, _shift);
            Mean = (float*)Unsafe.AsPointer(ref _mean[0]);
            Scale = (float*)Unsafe.AsPointer(ref _scale[0]);
            Shift = (float*)Unsafe.AsPointer(ref _shift[0]);
        }

        if (positions < SmallPlane)
        {
            Spread(channels, positions);
        }
    }

    /// <summary>Applies the epilogue to 16 values of channels [16·group, 16·group + 16), one a lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> ApplyChannels(Vector512<float> z, int group)
    {
        var at = 16 * group;
        return Normalization is null ? Finish(z) : Apply(z, Vector512.Load(Mean + at), Vector512.Load(Scale + at), Vector512.Load(Shift + at));
    }

    /// <summary>Applies the epilogue to <paramref name="count"/> values of channel <paramref name="channel"/> in place.</summary>
    public void ApplyPlane(float* values, int count, int channel)
    {
        var normalizes = Normalization is not null;
        var span = new Span<float>(values, count);
        if (!Vector512.IsHardwareAccelerated)
        {
            if (normalizes)
            {
                LayerKernels.ScaleShift(span, Mean[channel], Scale[channel], Shift[channel], span);
            }

            if (Rectify)
            {
                VectorOps.Relu(span, span);
            }

            return;
        }

        float m = normalizes ? Mean[channel] : 0f, a = normalizes ? Scale[channel] : 1f, b = normalizes ? Shift[channel] : 0f;
        var vm = Vector512.Create(m);
        var va = Vector512.Create(a);
        var vb = Vector512.Create(b);
        var i = 0;
        for (; i <= count - 16; i += 16)
        {
            var z = Vector512.Load(values + i);
            (normalizes ? Apply(z, vm, va, vb) : Finish(z)).Store(values + i);
        }

        for (; i < count; i++)
        {
            values[i] = normalizes ? Apply(values[i], m, a, b) : Finish(values[i]);
        }
    }

    /// <summary>Applies the epilogue in place to <paramref name="samples"/> samples' outputs of <paramref name="channels"/> planes of <paramref name="positions"/> values each.</summary>
    public void ApplySamples(float* output, int samples, int channels, int positions)
    {
        if (positions >= SmallPlane)
        {
            for (var plane = 0; plane < samples * channels; plane++)
            {
                ApplyPlane(output + ((long)plane * positions), positions, plane % channels);
            }

            return;
        }

        // Small planes: μ̄, a and β spread over a sample's values (by Prepare), which are then one run of full vectors.
        var row = channels * positions;
        fixed (float* mean = _rowMean, scale = _rowScale, shift = _rowShift)
        {
            for (var n = 0; n < samples; n++)
            {
                ApplyRow(output + ((long)n * row), row, mean, scale, shift);
            }
        }
    }

    /// <summary>Fills the per-value rows of <see cref="ApplySamples"/> for planes of <paramref name="positions"/> values.</summary>
    private void Spread(int channels, int positions)
    {
        var row = channels * positions;
        if (_rowMean.Length != row)
        {
            _rowMean = new float[row];
            _rowScale = new float[row];
            _rowShift = new float[row];
        }

        for (var c = 0; c < channels; c++)
        {
            _rowMean.AsSpan(c * positions, positions).Fill(Normalizes ? Mean[c] : 0f);
            _rowScale.AsSpan(c * positions, positions).Fill(Normalizes ? Scale[c] : 1f);
            _rowShift.AsSpan(c * positions, positions).Fill(Normalizes ? Shift[c] : 0f);
        }
    }

    /// <summary><see cref="ApplyPlane"/> with μ̄, a and β given per value.</summary>
    private void ApplyRow(float* values, int count, float* mean, float* scale, float* shift)
    {
        var normalizes = Normalization is not null;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16)
            {
                var z = Vector512.Load(values + i);
                (normalizes ? Apply(z, Vector512.Load(mean + i), Vector512.Load(scale + i), Vector512.Load(shift + i)) : Finish(z)).Store(values + i);
            }
        }

        for (; i < count; i++)
        {
            values[i] = normalizes ? Apply(values[i], mean[i], scale[i], shift[i]) : Finish(values[i]);
        }
    }

    /// <summary>(z − μ̄)·a + β (one subtraction, one fused multiply-add, as the layer), then the ReLU if any.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> Apply(Vector512<float> z, Vector512<float> mean, Vector512<float> scale, Vector512<float> shift) =>
        Finish(Vector512.FusedMultiplyAdd(z - mean, scale, shift));

    /// <summary>The ReLU if any: z where z &gt; 0 or NaN, else +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> Finish(Vector512<float> z) => Rectify ? VectorOps.Rectify(z) : z;

    /// <summary>The scalar form of the vector <see cref="Apply(Vector512{float}, Vector512{float}, Vector512{float}, Vector512{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Apply(float z, float mean, float scale, float shift) => Finish(MathF.FusedMultiplyAdd(z - mean, scale, shift));

    /// <summary>The scalar form of the vector <see cref="Finish(Vector512{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Finish(float z) => !Rectify || z > 0 || float.IsNaN(z) ? z : 0f;

    /// <summary>Applies the epilogue in place to a whole batch of outputs, spread over the worker pool.</summary>
    public void ApplyBatch(float* output, int samples, int channels, int positions)
    {
        _output = output;
        _samples = samples;
        _positions = positions;
        _channels = channels;
        try
        {
            var items = Items;
            if (items > 1 && (long)samples * channels * positions >= 16_384 && !WorkerPool.IsInsideJob)
            {
                WorkerPool.For(items, this);
            }
            else
            {
                ApplySamples(output, samples, channels, positions);
            }
        }
        finally
        {
            _output = null;
        }
    }

    /// <summary>The items of <see cref="ApplyBatch"/>: runs of <see cref="PlanesPerItem"/> planes, or of samples for small planes.</summary>
    private int Items => _positions >= SmallPlane
        ? ((_samples * _channels) + PlanesPerItem - 1) / PlanesPerItem
        : Math.Min(_samples, 4 * WorkerPool.MaxDegreeOfParallelism);

    /// <summary>Item <paramref name="index"/> of <see cref="ApplyBatch"/>.</summary>
    public override void Execute(int index)
    {
        if (_positions >= SmallPlane)
        {
            var end = Math.Min(_samples * _channels, (index + 1) * PlanesPerItem);
            for (var plane = index * PlanesPerItem; plane < end; plane++)
            {
                ApplyPlane(_output + ((long)plane * _positions), _positions, plane % _channels);
            }

            return;
        }

        var items = Items;
        var first = (int)((long)_samples * index / items);
        var last = (int)((long)_samples * (index + 1) / items);
        var row = _channels * _positions;
        fixed (float* mean = _rowMean, scale = _rowScale, shift = _rowShift)
        {
            for (var n = first; n < last; n++)
            {
                ApplyRow(_output + ((long)n * row), row, mean, scale, shift);
            }
        }
    }
}
