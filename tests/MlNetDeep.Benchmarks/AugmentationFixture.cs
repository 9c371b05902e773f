using MlNetDeep.Tensors;
using MlNetDeep.Vision;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// AlexNet's training augmentation on a batch: <see cref="RandomCrop.AlexNet"/> (224 × 224 out of 3 × 256 × 256),
/// <see cref="RandomMirror"/> (left–right, p = 0.5) and <see cref="PcaColorShift.ImageNet"/> (σ = 0.1), training mode,
/// through <see cref="ImageAugmentation"/>'s batch path (the one <c>Trainer</c> calls each mini-batch). The source holds
/// twice the batch, rows shuffled, so consecutive batches read different images as training does.
/// </summary>
public sealed class AugmentationFixture
{
    private readonly Tensor _source;
    private readonly int[] _rows;
    private int _epoch;

    /// <summary>Creates the images (uniform in [0, 1)), the pipeline and the destination.</summary>
    /// <param name="batch">Images a batch.</param>
    /// <param name="fuse">Whether the pipeline runs its steps in one pass (the default) or one after another.</param>
    public AugmentationFixture(int batch, bool fuse = true)
    {
        Batch = batch;
        _source = new Tensor(2 * batch, 3, 256, 256);
        var random = new RandomSource(1);
        for (var i = 0; i < _source.Length; i++)
        {
            _source[i] = random.NextFloat();
        }

        _rows = [.. Enumerable.Range(0, 2 * batch)];
        random.Shuffle(_rows);
        Pipeline = new AugmentationPipeline(RandomCrop.AlexNet(), new RandomMirror(), PcaColorShift.ImageNet()) { Fuse = fuse };
        Destination = new Tensor(batch, 3, 224, 224);
    }

    /// <summary>Images a batch.</summary>
    public int Batch { get; }

    /// <summary>Crop, mirror, PCA colour shift.</summary>
    public AugmentationPipeline Pipeline { get; }

    /// <summary>The augmented batch, <c>[Batch, 3, 224, 224]</c>.</summary>
    public Tensor Destination { get; }

    /// <summary>Augments the next batch (alternating halves of the source; a new epoch each call, so fresh draws).</summary>
    public void Step()
    {
        var epoch = ++_epoch;
        Pipeline.Apply(_source, _rows.AsSpan((epoch % 2) * Batch, Batch), seed: 7, epoch, training: true, Destination);
    }
}
