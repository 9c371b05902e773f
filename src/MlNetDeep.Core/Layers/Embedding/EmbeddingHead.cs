using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.Embedding;

/// <summary>
/// The encoding f(x) of a Siamese network (seed 001, course 4 week 4, "Siamese Network"): a linear projection of any
/// backbone's output to a d-dimensional encoding (the seed's 128 values, in place of a softmax), optionally scaled to unit
/// L2 norm as FaceNet does (f(x)/‖f(x)‖₂, so that ‖f(x1) − f(x2)‖² lies in [0, 4] and a margin α has a fixed meaning).
/// Backward of the normalisation: with y = z/‖z‖, ∂C/∂z = (∂C/∂y − y·(y·∂C/∂y))/‖z‖.
/// </summary>
/// <remarks>The norm is floored at 1e-12, as PyTorch's <c>F.normalize</c>, so a zero projection gives a zero encoding.</remarks>
public sealed class EmbeddingHead : Layer
{
    private const float NormFloor = 1e-12f;
    private Dense? _projection;
    private Tensor? _output;
    private Tensor? _projectionGradient;
    private float[] _norms = [];

    /// <summary>Creates the head.</summary>
    /// <param name="dimension">d, the length of the encoding (the seed uses 128); at least 1.</param>
    /// <param name="normalize">Scale every encoding to unit L2 norm.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is less than 1.</exception>
    public EmbeddingHead(int dimension, bool normalize = true)
    {
        if (dimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"The embedding dimension must be at least 1; got {dimension}.");
        }

        Dimension = dimension;
        Normalize = normalize;
    }

    /// <summary>d, the length of the encoding.</summary>
    public int Dimension { get; }

    /// <summary>True when every encoding is scaled to unit L2 norm.</summary>
    public bool Normalize { get; }

    /// <summary>The projection W·a + b (W is [d, in]).</summary>
    public Dense Projection => _projection ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _projection?.Parameters ?? [];

    /// <inheritdoc />
    public override LayerDescription Describe() => new(
        "EmbeddingHead",
        Name,
        [new("dimension", LayerDescription.ToSetting(Dimension)), new("normalize", LayerDescription.ToSetting(Normalize))]);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        _projection = new Dense(Dimension) { Name = Name + ".projection" };
        _projection.Build(inputShape, random);
        return [Dimension];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var z = Projection.Forward(input, training);
        if (!Normalize)
        {
            return z;
        }

        var n = z.Rows;
        var y = Tensor.Ensure(ref _output, n, [Dimension]);
        if (_norms.Length < n)
        {
            // Grows with the largest batch seen, then stays: no allocation per mini-batch in steady state.
            _norms = new float[n];
        }

        for (var r = 0; r < n; r++)
        {
            var row = z.Row(r);
            var norm = MathF.Max(MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(row)), NormFloor);
            _norms[r] = norm;
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, 1f / norm, y.Row(r));
        }

        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var projection = Projection;
        projection.ComputeInputGradient = ComputeInputGradient;
        if (!Normalize)
        {
            return projection.Backward(outputGradient);
        }

        var y = _output ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        if (outputGradient.Length != y.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected {Tensor.Format(y.Shape)}.",
                nameof(outputGradient));
        }

        var n = y.Rows;
        var dz = Tensor.Ensure(ref _projectionGradient, n, [Dimension]);
        for (var r = 0; r < n; r++)
        {
            var yr = y.Row(r);
            var dy = outputGradient.Data.AsSpan(r * Dimension, Dimension);
            var dot = System.Numerics.Tensors.TensorPrimitives.Dot(yr, dy);
            var inv = 1f / _norms[r];
            var dzr = dz.Row(r);
            for (var j = 0; j < Dimension; j++)
            {
                dzr[j] = (dy[j] - (yr[j] * dot)) * inv;
            }
        }

        return projection.Backward(dz);
    }
}
