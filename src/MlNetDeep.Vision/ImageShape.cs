namespace MlNetDeep.Vision;

/// <summary>The shape of one image stored channel-major (CHW): <c>Channels × Height × Width</c> floats.</summary>
/// <param name="Channels">The number of channels (3 for RGB).</param>
/// <param name="Height">The number of rows.</param>
/// <param name="Width">The number of columns.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>The number of floats one image holds.</summary>
    public int Length => Channels * Height * Width;

    /// <summary>The number of pixels in one channel plane.</summary>
    public int PlaneLength => Height * Width;

    /// <summary>The shape of one row of an image tensor <c>[N, C, H, W]</c>.</summary>
    public static ImageShape Of(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4)
        {
            throw new ArgumentException($"Expected images [N, C, H, W]; got {Tensor.Format(images.Shape)}.", nameof(images));
        }

        return new ImageShape(images.Dim(1), images.Dim(2), images.Dim(3));
    }

    /// <summary>Throws unless every dimension is positive.</summary>
    public void Validate()
    {
        if (Channels <= 0 || Height <= 0 || Width <= 0)
        {
            throw new ArgumentException($"Invalid image shape {this}: every dimension must be positive.");
        }
    }
}
