namespace MlNetDeep.Layers;

/// <summary>
/// The receptive field (感受野, seed 004 §2 and §5.1) of a chain of convolutions and poolings: how many input pixels
/// along one axis a single output value can see, and how far apart (in input pixels) neighbouring output values are.
/// Layer l with kernel k, stride s and dilation d widens the field by d·(k − 1)·J, where J is the product of the strides
/// before it: r = 1 + Σ_l d_l(k_l − 1)·Π_{i&lt;l} s_i. A stack of 3×3 convolutions with dilations 1, 2, 4, … (DeepLab's
/// atrous convolutions) therefore grows the field exponentially (3, 7, 15, …) at full resolution, where undilated ones
/// grow it by 2 a layer.
/// </summary>
/// <param name="Size">The field's side in input pixels.</param>
/// <param name="Jump">The distance in input pixels between neighbouring outputs (the product of the strides).</param>
public readonly record struct ReceptiveField(int Size, int Jump)
{
    /// <summary>The field of one input pixel: size 1, jump 1.</summary>
    public static ReceptiveField Pixel => new(1, 1);

    /// <summary>The field after one more layer with the given kernel, stride and dilation.</summary>
    /// <param name="kernel">The kernel (or pooling window) side k.</param>
    /// <param name="stride">The stride s.</param>
    /// <param name="dilation">The dilation d (1 for pooling).</param>
    public ReceptiveField Then(int kernel, int stride = 1, int dilation = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dilation, 1);
        return new(checked(Size + (dilation * (kernel - 1) * Jump)), checked(Jump * stride));
    }

    /// <summary>The field of a stack of (kernel, stride, dilation) layers, first layer first.</summary>
    public static ReceptiveField Of(IEnumerable<(int Kernel, int Stride, int Dilation)> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var field = Pixel;
        foreach (var (kernel, stride, dilation) in layers)
        {
            field = field.Then(kernel, stride, dilation);
        }

        return field;
    }

    /// <summary>
    /// The vertical field of a chain of layers (nested <see cref="Sequential"/> chains are walked): convolutions and
    /// poolings widen it, element-wise layers (activations, normalisation) leave it alone.
    /// </summary>
    /// <exception cref="NotSupportedException">A layer whose field is not a single window (a graph, a transposed convolution, a dense layer).</exception>
    public static ReceptiveField Of(IEnumerable<Layer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var field = Pixel;
        foreach (var layer in layers)
        {
            field = layer switch
            {
                Sequential chain => Combine(field, Of(chain.Layers)),
                Conv2D conv => field.Then(conv.KernelSize.Height, conv.Stride.Height, conv.Dilation.Height),
                Pooling2D pool => field.Then(pool.Size, pool.Stride),
                Graph or ConvTranspose2D or Dense or Flatten or BilinearUpsampling => throw new NotSupportedException(
                    $"Layer '{layer.Name}' ({layer.GetType().Name}) has no single-window receptive field; compute the field of the chain before it."),
                _ => field,
            };
        }

        return field;
    }

    private static ReceptiveField Combine(ReceptiveField before, ReceptiveField inner) =>
        new(checked(before.Size + ((inner.Size - 1) * before.Jump)), checked(before.Jump * inner.Jump));
}
