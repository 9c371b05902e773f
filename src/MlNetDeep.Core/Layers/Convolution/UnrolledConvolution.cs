using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A convolution on a tiny image (2x2, 1x1 — the last stages of a ResNet or VGG at 32x32) computed as the dense linear
/// map it is: every output value of a sample is a weighted sum of every input value of that sample, so the whole layer is
/// one matrix M [Co·Ho·Wo, Ci·H·W] built from the weights (M[(co, o), (ci, i)] = W[co, ci, the tap that takes input i to
/// output o], 0 where none does), and the batch's forward pass is one GEMM Y = X·Mᵀ on the samples as rows, with the NCHW
/// tensors read and written in place. The backward pass is two GEMMs: ∂X = ∂Y·M and ∂M = ∂Yᵀ·X, whose entries are added
/// into the weight gradient tap by tap.
/// </summary>
/// <remarks>
/// The im2col + GEMM path spends its time on data movement at these sizes: a column matrix of 2x2 images is a gather of
/// runs one to four values long, and the folded outputs come back in runs of as many. Here nothing is moved but the taps
/// into M (as the trimmed im2col path moves them into its own weight buffer): at every forward pass, and the backward
/// pass that follows reuses M, since it sees the same weights. The path is taken only where M wastes little: at least
/// <see cref="MinDensity"/> of M's entries are taps (all of them for 3x3 convolutions padded by 1 on 2x2 and 1x1
/// images), one group, and M bounded by <see cref="MaxMatrix"/>. Every output is summed over the same depth in the same
/// order whatever the batch size and core count (the GEMM never splits the depth), so a sample scored alone gets the
/// bits it gets in any batch.
/// </remarks>
internal sealed unsafe class UnrolledConvolution
{
    /// <summary>The least share of M's entries that must be taps (the rest are zeros multiplied for nothing).</summary>
    internal const double MinDensity = 0.75;

    /// <summary>The most entries of M (16 MB of floats): 512 channels on 2x2 images take 4M.</summary>
    internal const long MaxMatrix = 1L << 22;

    /// <summary>The most (output position, input position) pairs: a 2x2 output of a 4x4 image; larger images are im2col's.</summary>
    internal const int MaxPairs = 64;

    private readonly ConvolutionGeometry _g;
    private readonly int _rows;
    private readonly int _depth;
    private readonly int[] _taps;
    private readonly (int Output, int Input, int Tap)[] _pairs;

    // Per output position o and column (ci, i) of M: the offset ci·kh·kw + tap of the weight M's entry takes within its
    // output channel's filter, −1 where no tap joins o and i (M's rows built by gathers, see BuildRows).
    private readonly int[] _rowOffsets;
    private readonly float[] _matrix;
    private readonly float[] _expandedBias;
    private readonly LayerJob _job;
    private float[] _matrixGradient = [];
    private float* _weight;
    private float* _dWeight;
    private float[] _positionSums = [];
    private bool _built;

    private UnrolledConvolution(in ConvolutionGeometry g, int[] taps)
    {
        _g = g;
        _rows = g.ColumnChannels * g.Positions;
        _depth = g.ImageSize;
        _taps = taps;
        var pairs = new List<(int, int, int)>();
        var inputs = g.ImageHeight * g.ImageWidth;
        for (var o = 0; o < g.Positions; o++)
        {
            for (var i = 0; i < inputs; i++)
            {
                if (taps[(o * inputs) + i] >= 0)
                {
                    pairs.Add((o, i, taps[(o * inputs) + i]));
                }
            }
        }

        _pairs = [.. pairs];
        var kernel = g.KernelHeight * g.KernelWidth;
        _rowOffsets = new int[g.Positions * _depth];
        for (var o = 0; o < g.Positions; o++)
        {
            for (var column = 0; column < _depth; column++)
            {
                var tap = taps[(o * inputs) + (column % inputs)];
                _rowOffsets[(o * _depth) + column] = tap < 0 ? -1 : (column / inputs * kernel) + tap;
            }
        }

        _matrix = new float[(long)_rows * _depth];
        _expandedBias = new float[_rows];
        _job = new LayerJob(RunBlock);
    }

    /// <summary>Switch for tests and tuning: false sends every convolution through the other paths; read when a layer is built.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>The unrolled form of <paramref name="g"/>, or null where it does not pay (see the remarks).</summary>
    internal static UnrolledConvolution? TryCreate(in ConvolutionGeometry g)
    {
        if (!Enabled || g.Groups != 1)
        {
            return null;
        }

        var inputs = g.ImageHeight * g.ImageWidth;
        var entries = (long)g.Positions * inputs;
        if (entries == 0 || entries > MaxPairs || (long)g.ColumnChannels * g.ImageChannels * entries > MaxMatrix)
        {
            return null;
        }

        var taps = Taps(g);
        var used = taps.Count(t => t >= 0);
        return used >= MinDensity * entries ? new UnrolledConvolution(g, taps) : null;
    }

    /// <summary>
    /// taps[o·H·W + i]: the kernel tap (ki·kw + kj) that takes input position i to output position o, or −1. A tap that
    /// lands on an input position exactly is the only one that can: two taps of one output are different input positions.
    /// </summary>
    internal static int[] Taps(in ConvolutionGeometry g)
    {
        var inputs = g.ImageHeight * g.ImageWidth;
        var taps = new int[g.Positions * inputs];
        Array.Fill(taps, -1);
        for (var oy = 0; oy < g.OutputHeight; oy++)
        {
            for (var ox = 0; ox < g.OutputWidth; ox++)
            {
                var o = (oy * g.OutputWidth) + ox;
                for (var ki = 0; ki < g.KernelHeight; ki++)
                {
                    var iy = (oy * g.StrideHeight) - g.PadTop + (ki * g.DilationHeight);
                    for (var kj = 0; kj < g.KernelWidth && iy >= 0 && iy < g.ImageHeight; kj++)
                    {
                        var ix = (ox * g.StrideWidth) - g.PadLeft + (kj * g.DilationWidth);
                        if (ix >= 0 && ix < g.ImageWidth)
                        {
                            taps[(o * inputs) + (iy * g.ImageWidth) + ix] = (ki * g.KernelWidth) + kj;
                        }
                    }
                }
            }
        }

        return taps;
    }

    /// <summary>side[n] = M·image[n] + bias (per output channel), for every sample.</summary>
    public void Forward(float* image, float* side, int samples, float* weight, float* bias)
    {
        Prepare(weight);
        fixed (float* m = _matrix)
        {
            Gemm.Multiply(false, true, samples, _rows, _depth, 1f, image, _depth, m, _depth, 0f, side, _rows);
        }

        if (bias == null)
        {
            return;
        }

        var positions = _g.Positions;
        for (var co = 0; co < _g.ColumnChannels; co++)
        {
            _expandedBias.AsSpan(co * positions, positions).Fill(bias[co]);
        }

        VectorOps.AddRowVector(new Span<float>(side, samples * _rows), samples, _expandedBias);
    }

    /// <summary>
    /// The backward pass: imageGradient = ∂side·M (overwritten), weightGradient += the taps' sums of ∂sideᵀ·image, biasGradient
    /// += the channel sums of ∂side. Null targets are skipped.
    /// </summary>
    public void Backward(float* image, float* dSide, int samples, float* weight, float* dWeight, float* dBias, float* dImage)
    {
        if (dImage != null)
        {
            if (!_built)
            {
                Prepare(weight);
            }

            fixed (float* m = _matrix)
            {
                Gemm.Multiply(false, false, samples, _depth, _rows, 1f, dSide, _rows, m, _depth, 0f, dImage, _depth);
            }
        }

        if (dWeight != null)
        {
            if (_matrixGradient.Length == 0)
            {
                _matrixGradient = new float[_matrix.Length];
            }

            fixed (float* dm = _matrixGradient)
            {
                Gemm.Multiply(true, false, _rows, _depth, samples, 1f, dSide, _rows, image, _depth, 0f, dm, _depth);
            }

            // dWeight[co, ci, tap] += ∂M[(co, o), (ci, i)] for every pair (o, i) that the tap joins.
            _dWeight = dWeight;
            _job.Run(1, Blocks, (long)_pairs.Length * _g.ColumnChannels * _g.ImageChannels);
        }

        if (dBias != null)
        {
            if (_positionSums.Length == 0)
            {
                _positionSums = new float[_rows];
            }

            var sums = _positionSums.AsSpan();
            sums.Clear();
            VectorOps.AddRowSums(new ReadOnlySpan<float>(dSide, samples * _rows), samples, sums);

            for (var co = 0; co < _g.ColumnChannels; co++)
            {
                dBias[co] += TensorPrimitives.Sum(sums.Slice(co * _g.Positions, _g.Positions));
            }
        }
    }

    /// <summary>
    /// Writes the weights' taps into M (its other entries are the zeros it was created with). Done at every forward pass:
    /// one read of the taps, as cheap as checking whether they changed; the backward pass that follows uses the same M.
    /// </summary>
    private void Prepare(float* weight)
    {
        _weight = weight;
        _job.Run(0, Blocks, (long)_pairs.Length * _g.ColumnChannels * _g.ImageChannels);
        _built = true;
    }

    /// <summary>The output channels split into this many blocks, run on the worker pool when large enough.</summary>
    private int Blocks => Math.Min(_g.ColumnChannels, 16);

    /// <summary>Phase 0 writes the taps of one block of output channels into M; phase 1 adds ∂M's entries into their taps.</summary>
    private void RunBlock(int phase, int block)
    {
        var g = _g;
        var kernel = g.KernelHeight * g.KernelWidth;
        var inputs = g.ImageHeight * g.ImageWidth;
        var first = (int)((long)g.ColumnChannels * block / Blocks);
        var end = (int)((long)g.ColumnChannels * (block + 1) / Blocks);
        if (phase == 0 && Avx2.IsSupported)
        {
            BuildRows(first, end);
            return;
        }

        fixed (float* m0 = phase == 0 ? _matrix : _matrixGradient)
        fixed ((int Output, int Input, int Tap)* pairs = _pairs)
        {
            var count = _pairs.Length;
            for (var co = first; co < end; co++)
            {
                var w = (phase == 0 ? _weight : _dWeight) + ((long)co * g.ImageChannels * kernel);
                var m = m0 + ((long)co * g.Positions * _depth);
                for (var ci = 0; ci < g.ImageChannels; ci++, w += kernel, m += inputs)
                {
                    for (var p = 0; p < count; p++)
                    {
                        var entry = m + ((long)pairs[p].Output * _depth) + pairs[p].Input;
                        if (phase == 0)
                        {
                            *entry = w[pairs[p].Tap];
                        }
                        else
                        {
                            // Pairs of one tap are added in pair order: the same sums on any core count.
                            w[pairs[p].Tap] += *entry;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Writes M's rows of output channels [<paramref name="first"/>, <paramref name="end"/>) whole, zeros included: each
    /// row is gathered from its channel's filter eight entries at a time by the offsets of its output position, so M is
    /// written in order instead of one tap at a time (a 256-channel layer on 2x2 images: 1M entries a forward pass).
    /// </summary>
    private void BuildRows(int first, int end)
    {
        var g = _g;
        var filter = (long)g.ImageChannels * g.KernelHeight * g.KernelWidth;
        var depth = _depth;
        fixed (float* m0 = _matrix)
        fixed (int* offsets0 = _rowOffsets)
        {
            for (var co = first; co < end; co++)
            {
                var w = _weight + (co * filter);
                for (var o = 0; o < g.Positions; o++)
                {
                    var m = m0 + (((long)co * g.Positions) + o) * depth;
                    var offsets = offsets0 + ((long)o * depth);
                    var j = 0;
                    for (; j + 8 <= depth; j += 8)
                    {
                        var index = Avx.LoadVector256(offsets + j);
                        var taken = Avx2.CompareGreaterThan(index, Vector256.Create(-1)).AsSingle();
                        Avx.Store(m + j, Avx2.GatherMaskVector256(Vector256<float>.Zero, w, index, taken, sizeof(float)));
                    }

                    for (; j < depth; j++)
                    {
                        m[j] = offsets[j] < 0 ? 0f : w[offsets[j]];
                    }
                }
            }
        }
    }
}
