using MlNetDeep.Layers;
using MlNetDeep.Serialization;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// Sliding-window detection (滑动窗口目标检测) and its convolutional implementation (seed: "将网络中的FC转化为卷积层"): a
/// classifier trained on windows of h × w pixels becomes a fully convolutional network whose one pass over a larger image
/// gives the classifier's output for every window position at once — the dense layer after the flatten becomes an
/// h'×w' convolution with as many filters as units (5 × 5 × 16 → "FC 400" → a 5 × 5 convolution with 400 filters), each
/// later dense layer a 1 × 1 convolution. Shared computation: overlapping windows are convolved once.
/// </summary>
public static class SlidingWindows
{
    /// <summary>
    /// Converts a trained classifier <c>[layers before the flatten] → Flatten → Dense → (elementwise | Dense)*</c> into a
    /// fully convolutional network built for images of <paramref name="imageShape"/>. Its output [K, rows, columns] holds at
    /// (i, j) the classifier's output on the window whose top-left corner is at (i·s, j·s), s the product of the strides
    /// before the flatten (<see cref="WindowStride"/>). The classifier is not changed; the weights are copied.
    /// </summary>
    /// <param name="classifier">A built Sequential classifier on windows [C, h, w].</param>
    /// <param name="imageShape">The larger images' shape [C, H, W].</param>
    /// <returns>The convolutional network, built.</returns>
    /// <exception cref="NotSupportedException">A layer after the flatten is neither dense nor elementwise.</exception>
    public static Sequential ToConvolutional(Sequential classifier, int[] imageShape)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(imageShape);
        if (!classifier.IsBuilt)
        {
            throw new InvalidOperationException($"Classifier '{classifier.Name}' must be built (trained) before it is converted.");
        }

        var layers = classifier.Layers;
        var flatten = -1;
        for (var i = 0; i < layers.Count && flatten < 0; i++)
        {
            flatten = layers[i] is Flatten ? i : -1;
        }

        if (flatten < 0 || flatten + 1 >= layers.Count || layers[flatten + 1] is not Dense)
        {
            throw new NotSupportedException($"Classifier '{classifier.Name}' must contain a Flatten followed by a Dense layer to become convolutional.");
        }

        var result = new Sequential([]);
        var pairs = new List<(Layer Source, Layer Copy)>();
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (i == flatten)
            {
                continue;
            }

            if (i < flatten || layer is ElementwiseLayer)
            {
                if (i > flatten && layer is not ElementwiseLayer)
                {
                    throw new NotSupportedException($"Layer {i} ('{layer.Name}', {layer.GetType().Name}) after the flatten is neither dense nor elementwise.");
                }

                var copy = LayerRegistry.Create(layer.Describe());
                result.Add(copy);
                pairs.Add((layer, copy));
            }
            else if (layer is Dense dense)
            {
                // Flatten reads [C, h, w] row-major, so W [units, C·h·w] is already a [units, C, h, w] kernel.
                var flattened = layers[flatten].InputShape;
                if (i == flatten + 1 && flattened.Length != 3)
                {
                    throw new NotSupportedException($"The flatten of '{classifier.Name}' reads {Tensor.Format(flattened)}; expected images [C, h, w].");
                }

                var kernel = i == flatten + 1 ? (flattened[1], flattened[2]) : (1, 1);
                var conv = new Conv2D(dense.Units, kernel, useBias: dense.UseBias) { Name = dense.Name };
                result.Add(conv);
                pairs.Add((dense, conv));
            }
            else
            {
                throw new NotSupportedException($"Layer {i} ('{layer.Name}', {layer.GetType().Name}) after the flatten is neither dense nor elementwise.");
            }
        }

        result.Build(imageShape, new RandomSource(0));
        foreach (var (source, copy) in pairs)
        {
            var from = source.Parameters;
            var to = copy.Parameters;
            for (var p = 0; p < from.Count; p++)
            {
                if (from[p].Value.Length != to[p].Value.Length)
                {
                    throw new InvalidOperationException(
                        $"Layer '{source.Name}' has parameter {from[p].Name} of shape {Tensor.Format(from[p].Value.Shape)}; on {Tensor.Format(imageShape)} images it would need {Tensor.Format(to[p].Value.Shape)}.");
                }

                from[p].Value.Span.CopyTo(to[p].Value.Span);
            }

            var fromBuffers = source.Buffers;
            var toBuffers = copy.Buffers;
            for (var b = 0; b < fromBuffers.Count; b++)
            {
                fromBuffers[b].Value.Span.CopyTo(toBuffers[b].Value.Span);
            }
        }

        return result;
    }

    /// <summary>The step in pixels between neighbouring windows of the converted network: the product of the strides before the flatten.</summary>
    /// <param name="classifier">The classifier.</param>
    public static int WindowStride(Sequential classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        var stride = 1;
        foreach (var layer in classifier.Layers)
        {
            if (layer is Flatten)
            {
                break;
            }

            stride *= layer switch
            {
                Conv2D c => c.Stride.Height,
                Pooling2D p => p.Stride,
                _ => 1,
            };
        }

        return stride;
    }

    /// <summary>
    /// The plain sliding window: crops every window of the classifier's size at step <paramref name="stride"/> and runs the
    /// classifier on each (one batch of all windows). Returns [K, rows, columns] as the converted network does.
    /// </summary>
    /// <param name="classifier">A built classifier on windows [C, h, w].</param>
    /// <param name="image">One image [C, H, W] (or [1, C, H, W]).</param>
    /// <param name="stride">The step between windows.</param>
    public static Tensor RunPerWindow(Layer classifier, Tensor image, int stride)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        var window = classifier.InputShape;
        var (c, h, w) = (window[0], window[1], window[2]);
        var height = image.Dim(image.Rank - 2);
        var width = image.Dim(image.Rank - 1);
        var rows = ((height - h) / stride) + 1;
        var columns = ((width - w) / stride) + 1;
        var crops = new Tensor(rows * columns, c, h, w);
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                var crop = crops.Row((i * columns) + j);
                for (var ch = 0; ch < c; ch++)
                {
                    for (var y = 0; y < h; y++)
                    {
                        image.Span.Slice((ch * height * width) + (((i * stride) + y) * width) + (j * stride), w).CopyTo(crop.Slice((ch * h * w) + (y * w), w));
                    }
                }
            }
        }

        var outputs = classifier.Forward(crops, training: false);
        var k = outputs.RowSize;
        var result = new Tensor(k, rows, columns);
        for (var p = 0; p < rows * columns; p++)
        {
            for (var o = 0; o < k; o++)
            {
                result[(o * rows * columns) + p] = outputs[(p * k) + o];
            }
        }

        return result;
    }
}
