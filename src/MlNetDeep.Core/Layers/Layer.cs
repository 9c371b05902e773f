using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A network layer, following the seeds' backpropagation: <see cref="Forward"/> computes the output and
/// caches what the backward pass needs; <see cref="Backward"/> takes ∂C/∂output, returns ∂C/∂input and
/// ADDS each parameter's gradient into <see cref="Parameter.Gradient"/>.
/// Shapes are per sample (without the batch dimension) and fixed by <see cref="Build"/>.
/// </summary>
public abstract class Layer
{
    private int[]? _inputShape;
    private int[]? _outputShape;

    // Every Build of any layer (see Builds).
    private static long buildCount;

    /// <summary>A display name.</summary>
    public string Name { get; set; }

    /// <summary>Creates a layer; the name defaults to the type's name.</summary>
    protected Layer() => Name = GetType().Name;

    /// <summary>
    /// Counts every <see cref="Build"/> of any layer: a holder of a network's parameter tensors (a
    /// <see cref="Training.BatchPredictor"/>'s copies) takes them again when it has changed, as a rebuilt layer has new ones.
    /// </summary>
    internal static long Builds => Interlocked.Read(ref buildCount);

    /// <summary>The per-sample input shape, known once built.</summary>
    public ReadOnlySpan<int> InputShape => _inputShape ?? throw NotBuilt();

    /// <summary>The per-sample output shape, known once built.</summary>
    public ReadOnlySpan<int> OutputShape => _outputShape ?? throw NotBuilt();

    /// <summary>True once <see cref="Build"/> has fixed the shapes and created the parameters.</summary>
    public bool IsBuilt => _outputShape is not null;

    /// <summary>
    /// When false, <see cref="Backward"/> may skip computing ∂C/∂input (set on a network's first layer,
    /// whose input is the data) and returns an unspecified tensor.
    /// </summary>
    public bool ComputeInputGradient { get; set; } = true;

    /// <summary>The trainable parameters.</summary>
    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>Saved state that is not optimised, such as batch-norm running statistics.</summary>
    public virtual IReadOnlyList<(string Name, Tensor Value)> Buffers => [];

    /// <summary>
    /// Names each of <see cref="Parameters"/>, in the same order, uniquely within this layer; <see cref="Serialization.WeightsFile"/>
    /// and <see cref="Training.GradientCheck"/> use these names. The default is the parameters' own names (such as
    /// <c>weight</c>); containers prefix their children's names with the child's position or node name (such as <c>0.weight</c>).
    /// </summary>
    public virtual IReadOnlyList<string> ParameterNames() => [.. Parameters.Select(p => p.Name)];

    /// <summary>
    /// True when the layer computes each sample from that sample alone, in training too, and adds its parameters'
    /// gradients into <see cref="Parameter.Gradient"/>: a training batch can then run through it in chunks of samples, one
    /// after the other, with the same outputs and the same summed gradients (up to the order of the sums; see
    /// <see cref="Training.Trainer"/>). Not so for batch statistics (batch normalisation) or random draws taken in batch
    /// order (dropout).
    /// </summary>
    internal virtual bool IsSampleIndependent => false;

    /// <summary>The number of trainable values.</summary>
    public long ParameterCount => Parameters.Sum(p => (long)p.Value.Length);

    /// <summary>
    /// Fixes the per-sample input shape, creates and initialises the parameters, and returns the output shape.
    /// </summary>
    /// <param name="inputShape">The per-sample input shape.</param>
    /// <param name="random">The source of randomness for initialisation and, where used, dropout masks.</param>
    public int[] Build(ReadOnlySpan<int> inputShape, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var input = inputShape.ToArray();
        var output = OnBuild(input, random);
        _inputShape = input;
        _outputShape = output;
        Interlocked.Increment(ref buildCount);
        return (int[])output.Clone();
    }

    /// <summary>Computes the output for a batch. <paramref name="training"/> matters only to dropout and normalisation.</summary>
    /// <param name="input">A batch whose shape is [N, ..InputShape].</param>
    /// <param name="training">True while training.</param>
    /// <returns>The output, owned by the layer and valid until its next call.</returns>
    public Tensor Forward(Tensor input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(input);
        return OnForward(input, training);
    }

    /// <summary>Propagates the gradient of the loss back through the layer.</summary>
    /// <param name="outputGradient">∂C/∂output for the batch of the last <see cref="Forward"/>.</param>
    /// <returns>∂C/∂input, owned by the layer and valid until its next call.</returns>
    public Tensor Backward(Tensor outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        return OnBackward(outputGradient);
    }

    /// <summary>
    /// Describes the layer (type key, name, settings, children) so that <see cref="LayerRegistry.Create"/> can
    /// re-create it without the code that built it; used by <see cref="NetworkFile"/> to save and clone networks.
    /// The default throws: a layer type that is to be saved overrides it and registers a factory.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer type does not support saving.</exception>
    public virtual LayerDescription Describe() =>
        throw new NotSupportedException(
            $"Layer '{Name}' of type '{GetType().FullName}' cannot be saved or cloned: it does not override Layer.Describe() "
            + "(and register a factory with LayerRegistry.Register).");

    /// <summary>Creates the parameters for <paramref name="inputShape"/> and returns the output shape.</summary>
    protected abstract int[] OnBuild(int[] inputShape, RandomSource random);

    /// <summary>The forward pass, after the input shape was checked.</summary>
    protected abstract Tensor OnForward(Tensor input, bool training);

    /// <summary>The backward pass.</summary>
    protected abstract Tensor OnBackward(Tensor outputGradient);

    /// <inheritdoc />
    public override string ToString() => IsBuilt ? $"{Name} {Tensor.Format(InputShape)} -> {Tensor.Format(OutputShape)}" : Name;

    private void CheckInput(Tensor input)
    {
        var expected = InputShape;
        if (input.RowSize != Tensor.ProductOf(expected) || (input.Rank > 2 && !input.Shape[1..].SequenceEqual(expected)))
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects input of shape [N, {string.Join(", ", expected.ToArray())}] but got {Tensor.Format(input.Shape)}.",
                nameof(input));
        }
    }

    private InvalidOperationException NotBuilt() =>
        new($"Layer '{Name}' is not built yet: add it to a network and build it, or call Build(inputShape, random).");
}
