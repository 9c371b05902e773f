namespace MlNetDeep.Layers;

/// <summary>
/// The shapes of one convolution, seen from the convolution's side: an "image" of
/// <see cref="ImageChannels"/>×<see cref="ImageHeight"/>×<see cref="ImageWidth"/> is lowered by im2col into
/// columns, and the weights [<see cref="ColumnChannels"/>, ImageChannels/Groups, kh, kw] map the columns to the
/// "column side" of ColumnChannels×<see cref="OutputHeight"/>×<see cref="OutputWidth"/>.
/// A convolution's input is the image and its output the column side; a transposed convolution is the reverse.
/// </summary>
internal readonly record struct ConvolutionGeometry(
    int ImageChannels,
    int ImageHeight,
    int ImageWidth,
    int ColumnChannels,
    int OutputHeight,
    int OutputWidth,
    int KernelHeight,
    int KernelWidth,
    int StrideHeight,
    int StrideWidth,
    int PadTop,
    int PadLeft,
    int DilationHeight,
    int DilationWidth,
    int Groups)
{
    /// <summary>Values of one image: C·H·W.</summary>
    public int ImageSize => ImageChannels * ImageHeight * ImageWidth;

    /// <summary>Positions of the column side: Ho·Wo.</summary>
    public int Positions => OutputHeight * OutputWidth;

    /// <summary>Values of one sample's column side: Co·Ho·Wo.</summary>
    public int ColumnSideSize => ColumnChannels * Positions;

    /// <summary>Rows of the column matrix of one group: (C/groups)·kh·kw, the fan-in of a filter.</summary>
    public int GroupRows => ImageChannels / Groups * KernelHeight * KernelWidth;

    /// <summary>Column-side channels per group.</summary>
    public int GroupColumnChannels => ColumnChannels / Groups;

    /// <summary>Values of one sample's column matrix (all groups): C·kh·kw·Ho·Wo.</summary>
    public int ColumnsSize => ImageChannels * KernelHeight * KernelWidth * Positions;

    /// <summary>Values of the weight tensor: Co·(C/groups)·kh·kw.</summary>
    public int WeightSize => ColumnChannels * GroupRows;

    /// <summary>
    /// True when the column matrix IS the image (1x1 kernel, stride 1, no padding, same size), so im2col and col2im are skipped.
    /// </summary>
    public bool IsPointwise =>
        KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PadTop == 0 && PadLeft == 0
        && OutputHeight == ImageHeight && OutputWidth == ImageWidth;
}
