using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>The kernel, strides and pads of a pooling layer as ONNX attributes.</summary>
internal static class PoolingPads
{
    /// <summary>
    /// Pads [top, left, bottom, right]: the explicit amounts (none for valid pooling); for "same", TensorFlow's
    /// max((out − 1)·s + f − n, 0) with the smaller half before, as <see cref="Pooling2D"/> resolves it.
    /// </summary>
    public static long[] Of(Pooling2D pool)
    {
        if (!pool.Same)
        {
            var p = pool.Padding;
            return [p.Top, p.Left, p.Bottom, p.Right];
        }

        var (top, bottom) = Same(pool.InputShape[1], pool.OutputShape[1], pool.Size, pool.Stride);
        var (left, right) = Same(pool.InputShape[2], pool.OutputShape[2], pool.Size, pool.Stride);
        return [top, left, bottom, right];
    }

    public static Protobuf.AttributeProto[] Attributes(Pooling2D pool) =>
    [
        OnnxAttributes.Ints("kernel_shape", pool.Size, pool.Size),
        OnnxAttributes.Ints("strides", pool.Stride, pool.Stride),
        OnnxAttributes.Ints("pads", Of(pool)),
    ];

    private static (long Before, long After) Same(int n, int output, int f, int s)
    {
        var total = Math.Max(((output - 1) * s) + f - n, 0);
        return (total / 2, total - (total / 2));
    }
}
