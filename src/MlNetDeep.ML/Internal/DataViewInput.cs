using System.Globalization;
using Microsoft.ML;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Turns the training and validation views into the trainer's <see cref="BatchSource"/>s: in memory while the decoded
/// features (as floats) fit <see cref="NeuralNetworkOptions.MemoryBudget"/>, streamed from the view past it, and
/// through a pixel cache with random access when <see cref="NeuralNetworkOptions.WorkspacePath"/> is set.
/// </summary>
/// <remarks>
/// Targets come through a <see cref="TargetReader"/> (a label, or boxes, masks...). When a validation set gets the
/// scoring form of image steps as it is read and its targets live in the image plane, they are moved with the pixels.
/// The budget counts targets with features.
/// </remarks>
internal sealed class DataViewInput(NeuralNetworkOptions options, TargetReader targets, ReadSettings settings)
{
    private long _budget = options.MemoryBudget;

    /// <summary>
    /// The rows of <paramref name="data"/>: features from <paramref name="features"/> (handed on through
    /// <paramref name="transform"/>), targets through the target reader.
    /// </summary>
    /// <param name="data">The view.</param>
    /// <param name="features">The column to read (the image steps' source column when the trainer augments).</param>
    /// <param name="transform">The rows' shape, and the scoring form to apply to them, if any.</param>
    /// <param name="role">"training" or "validation", for messages.</param>
    /// <param name="cacheFileName">The pixel cache's file name in the workspace.</param>
    public BatchSource Open(IDataView data, DataViewSchema.Column features, RowTransform transform, string role, string cacheFileName)
    {
        settings.Cancellation.ThrowIfCancellationRequested();
        var targetShape = targets.ShapeAfter(transform.InputShape, transform.OutputShape);
        var rowBytes = ((long)transform.OutputWidth + Tensor.ProductOf(targetShape)) * sizeof(float);
        if (options.WorkspacePath is { } workspace)
        {
            var cache = PixelCache.OpenOrBuild(
                Path.Combine(workspace, cacheFileName), data, features, targets, transform.InputShape, role, options.ReuseCachedPixels, settings);
            var source = new PixelCacheBatchSource(cache, transform);
            if (source.Rows * rowBytes > _budget)
            {
                settings.Info(Say($"The {role} data ({source.Rows:N0} rows, {Size(source.Rows * rowBytes)} as floats) exceed the memory budget ({Size(_budget)}): each epoch reads them from the pixel cache '{cache.Path}' in the order the seed draws."));
                return source;
            }

            using (source)
            {
                return Keep(source.ToMemory());
            }
        }

        var known = data.GetRowCount();
        if (known is not { } n || n * rowBytes <= _budget)
        {
            var rows = ReadIntoMemory(data, features, transform, targetShape, role, _budget);
            if (rows is not null)
            {
                return Keep(rows);
            }
        }

        var values = ReadTargets(data, targets, role, settings, transform);
        var count = values.Length / Tensor.ProductOf(targetShape);
        var pool = options.ShufflePoolSize > 0
            ? options.ShufflePoolSize
            : (int)Math.Clamp(options.MemoryBudget / 4 / Math.Max(1, rowBytes), 2L * options.BatchSize, int.MaxValue);
        var stream = new DataViewBatchSource(data, features, values, targetShape, transform, role, settings, pool);
        settings.Info(Say(
            $"The {role} data ({count:N0} rows, {Size(count * rowBytes)} as floats) exceed the memory budget ({Size(_budget)}): each epoch streams them from the data view{(role == "training" && options.Shuffle ? $" through a shuffle pool of {stream.PoolRows:N0} rows" : string.Empty)}."));
        return stream;
    }

    /// <summary>
    /// The target of every row, row after row, read in a pass over the target columns alone (no features are decoded);
    /// moved as <paramref name="transform"/>'s scoring form moves the pixels when the targets live in the image plane.
    /// </summary>
    public static float[] ReadTargets(IDataView data, TargetReader targets, string role, ReadSettings settings, RowTransform? transform = null)
    {
        var width = targets.Width;
        var values = new List<float>();
        var target = new float[width];
        var move = transform?.Scoring is not null && targets.Spatial is not null;
        var moved = move ? new float[Tensor.ProductOf(targets.ShapeAfter(transform!.InputShape, transform.OutputShape))] : null;
        var index = 0;
        using (var rows = new ViewRows(data, null, targets, role, settings))
        {
            while (rows.MoveNext())
            {
                rows.ReadTarget(target);
                if (move)
                {
                    transform!.MoveTarget(target, targets.Shape, targets.Spatial!, moved!, index);
                }

                values.AddRange(moved ?? target);
                index++;
            }
        }

        return index > 0 ? [.. values] : throw new ArgumentException($"The {role} data have no rows.");
    }

    private static string Say(FormattableString message) => message.ToString(CultureInfo.InvariantCulture);

    private static string Size(long bytes) => bytes >= 1L << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB");

    private InMemoryBatchSource Keep(InMemoryBatchSource rows)
    {
        _budget -= rows.Bytes;
        return rows;
    }

    /// <summary>Reads every row into memory, or returns null as soon as the rows exceed <paramref name="limit"/> bytes.</summary>
    private InMemoryBatchSource? ReadIntoMemory(IDataView data, DataViewSchema.Column features, RowTransform transform, int[] targetShape, string role, long limit)
    {
        var result = new InMemoryBatchSource(transform.OutputShape, targetShape);
        var target = new float[targets.Width];
        var moved = transform.Scoring is not null && targets.Spatial is not null ? new float[Tensor.ProductOf(targetShape)] : null;
        var raw = transform.Scoring is null ? null : new float[transform.InputWidth];
        var skipped = 0;
        using (var rows = new ViewRows(data, features, targets, role, settings))
        {
            while (rows.MoveNext())
            {
                if (result.Bytes + result.RowBytes > limit)
                {
                    settings.Info(Say($"The {role} data exceed the memory budget ({Size(limit)}) after {result.Rows:N0} rows: streaming them instead."));
                    return null;
                }

                rows.ReadTarget(target);
                var destination = result.Next();
                if (!rows.TryReadFeatures(raw ?? destination))
                {
                    skipped++;
                    continue;
                }

                if (raw is not null)
                {
                    transform.Apply(raw, destination, result.Rows);
                }

                if (moved is not null)
                {
                    transform.MoveTarget(target, targets.Shape, targets.Spatial!, moved, result.Rows);
                }

                result.Commit(moved ?? target, rows.Row);
            }
        }

        return result.Rows > 0 ? result : throw new ArgumentException($"The {role} data have no {(skipped > 0 ? "readable " : string.Empty)}rows.");
    }
}
