using MlNetDeep.Tensors;

namespace MlNetDeep.Data;

/// <summary>
/// A labelled classification data set: a feature tensor whose first dimension indexes the samples,
/// one 0-based class index per sample, and the class names. Instances are validated on construction.
/// </summary>
public sealed class ClassificationData
{
    /// <summary>Creates a data set, checking that features, labels and class names agree.</summary>
    /// <param name="features">The features, shape <c>[N, ...]</c> (for example <c>[N, F]</c> or <c>[N, C, H, W]</c>).</param>
    /// <param name="labels">One class index in <c>[0, classNames.Length)</c> per sample; not copied.</param>
    /// <param name="classNames">The class names; their count is <see cref="ClassCount"/>. Not copied.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The set is empty, the row and label counts differ, there are no class names, or a label is out of range.</exception>
    public ClassificationData(Tensor features, int[] labels, string[] classNames)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (labels.Length == 0)
        {
            throw new ArgumentException("A classification data set needs at least one sample, but no labels were given.", nameof(labels));
        }

        if (classNames.Length == 0)
        {
            throw new ArgumentException("A classification data set needs at least one class name, but none were given.", nameof(classNames));
        }

        if (features.Rows != labels.Length)
        {
            throw new ArgumentException(
                $"Features have {features.Rows} rows (shape {Tensor.Format(features.Shape)}) but there are {labels.Length} labels; expected one label per row.",
                nameof(labels));
        }

        for (var i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Length)
            {
                throw new ArgumentException(
                    $"Label {labels[i]} at index {i} is out of range; expected a class index in [0, {classNames.Length}) for {classNames.Length} class names.",
                    nameof(labels));
            }
        }

        Features = features;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>The features, shape <c>[N, ...]</c>.</summary>
    public Tensor Features { get; }

    /// <summary>The 0-based class index of each sample.</summary>
    public int[] Labels { get; }

    /// <summary>The labels as a float tensor [N] of class indices, the target form of <c>SoftmaxCrossEntropy</c> and <c>BinaryCrossEntropy</c>.</summary>
    public Tensor LabelTensor()
    {
        var t = new Tensor(Labels.Length);
        for (var i = 0; i < Labels.Length; i++)
        {
            t[i] = Labels[i];
        }

        return t;
    }

    /// <summary>The class names, indexed by label.</summary>
    public string[] ClassNames { get; }

    /// <summary>The number of samples N.</summary>
    public int Count => Labels.Length;

    /// <summary>The number of classes.</summary>
    public int ClassCount => ClassNames.Length;

    /// <summary>How many samples each class has, indexed by label.</summary>
    public int[] CountPerClass()
    {
        var counts = new int[ClassCount];
        foreach (var label in Labels)
        {
            counts[label]++;
        }

        return counts;
    }

    /// <summary>A new data set holding copies of the given samples, in the given order (repeats allowed).</summary>
    /// <param name="indices">Sample indices in <c>[0, Count)</c>; at least one.</param>
    /// <exception cref="ArgumentException">No indices were given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside <c>[0, Count)</c>.</exception>
    public ClassificationData Subset(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty)
        {
            throw new ArgumentException("A subset needs at least one index, but none were given.", nameof(indices));
        }

        var rowSize = Features.RowSize;
        var shape = Features.ShapeArray();
        shape[0] = indices.Length;
        var data = new float[indices.Length * rowSize];
        var labels = new int[indices.Length];
        var source = Features.Span;
        for (var i = 0; i < indices.Length; i++)
        {
            var index = indices[i];
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(indices), index, $"Index {index} at position {i} is out of range; expected [0, {Count}).");
            }

            source.Slice(index * rowSize, rowSize).CopyTo(data.AsSpan(i * rowSize, rowSize));
            labels[i] = Labels[index];
        }

        return new ClassificationData(new Tensor(data, shape), labels, ClassNames);
    }

    /// <summary>
    /// Splits the samples in two, class by class, so both parts keep the class proportions.
    /// Each class gives <c>floor(fraction * n)</c> samples to the first part; the remaining
    /// <c>round(fraction * Count)</c> minus that total go one each to the classes with the largest
    /// remainders (ties to the lower class index). Which samples are chosen and the order of each
    /// part are shuffled by a <see cref="RandomSource"/> with <paramref name="seed"/>, so the same
    /// seed always gives the same split.
    /// </summary>
    /// <param name="fraction">The share of each class for the first part, strictly between 0 and 1.</param>
    /// <param name="seed">The shuffling seed.</param>
    /// <returns>The two parts; together they hold every sample exactly once.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not strictly between 0 and 1, or a part would be empty.</exception>
    public (ClassificationData First, ClassificationData Second) StratifiedSplit(double fraction, ulong seed)
    {
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction must be strictly between 0 and 1.");
        }

        var perClass = CountPerClass();
        var firstCounts = new int[ClassCount];
        var remainders = new double[ClassCount];
        var assigned = 0;
        for (var c = 0; c < ClassCount; c++)
        {
            var exact = fraction * perClass[c];
            firstCounts[c] = (int)Math.Floor(exact);
            remainders[c] = exact - firstCounts[c];
            assigned += firstCounts[c];
        }

        var target = (int)Math.Round(fraction * Count, MidpointRounding.ToEven);
        var order = Enumerable.Range(0, ClassCount)
            .Where(c => firstCounts[c] < perClass[c])
            .OrderByDescending(c => remainders[c])
            .ThenBy(c => c)
            .ToArray();
        for (var k = 0; k < order.Length && assigned < target; k++)
        {
            firstCounts[order[k]]++;
            assigned++;
        }

        if (assigned == 0 || assigned == Count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(fraction), fraction, $"A fraction of {fraction} of {Count} samples leaves one part empty; both parts need at least one sample.");
        }

        var byClass = new List<int>[ClassCount];
        for (var c = 0; c < ClassCount; c++)
        {
            byClass[c] = new List<int>(perClass[c]);
        }

        for (var i = 0; i < Count; i++)
        {
            byClass[Labels[i]].Add(i);
        }

        var random = new RandomSource(seed);
        var first = new List<int>(assigned);
        var second = new List<int>(Count - assigned);
        for (var c = 0; c < ClassCount; c++)
        {
            var indices = byClass[c].ToArray();
            random.Shuffle(indices);
            first.AddRange(indices.AsSpan(0, firstCounts[c]));
            second.AddRange(indices.AsSpan(firstCounts[c]));
        }

        var firstIndices = first.ToArray();
        var secondIndices = second.ToArray();
        random.Shuffle(firstIndices);
        random.Shuffle(secondIndices);
        return (Subset(firstIndices), Subset(secondIndices));
    }
}
