using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Verification;

namespace MlNetDeep.ML;

/// <summary>
/// Verification and one-shot identification with a fitted encoder (a pipeline ending in
/// <see cref="NeuralNetworkEmbeddingTrainer"/>'s transformer): pairs of rows become a <c>Score</c> for
/// <c>mlContext.BinaryClassification.EvaluateNonCalibrated</c> (AUC; F1 at the threshold), and rows identified against a
/// <see cref="Gallery"/> become a <c>PredictedLabel</c> for <c>mlContext.MulticlassClassification.Evaluate</c>.
/// </summary>
/// <remarks>
/// A pair's two sides are two columns of the same kind as the encoder's input column (such as two image paths): each is
/// encoded by running the pipeline on a copy of it under the input column's name. A side that cannot be encoded (a missing
/// or unreadable image) is an <see cref="InvalidDataException"/> naming the row, the column and its value.
/// </remarks>
public sealed class VerificationScorer
{
    private readonly MLContext _ml;
    private readonly ITransformer _encoder;

    /// <summary>Creates the scorer.</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="encoder">The fitted pipeline whose last step adds <paramref name="embeddingColumnName"/>.</param>
    /// <param name="inputColumnName">The column the pipeline reads (such as <c>ImagePath</c>).</param>
    /// <param name="embeddingColumnName">The encodings column.</param>
    public VerificationScorer(MLContext mlContext, ITransformer encoder, string inputColumnName, string embeddingColumnName = "Embedding")
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        ArgumentException.ThrowIfNullOrEmpty(embeddingColumnName);
        (_ml, _encoder, InputColumnName, EmbeddingColumnName) = (mlContext, encoder, inputColumnName, embeddingColumnName);
    }

    /// <summary>The column the pipeline reads.</summary>
    public string InputColumnName { get; }

    /// <summary>The encodings column the pipeline writes.</summary>
    public string EmbeddingColumnName { get; }

    /// <summary>The encoding of every row, reading the input from <paramref name="columnName"/> (the pipeline's input column by default).</summary>
    public float[][] Encode(IDataView data, string? columnName = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var column = columnName ?? InputColumnName;
        if (data.Schema.GetColumnOrNull(column) is null)
        {
            throw new ArgumentException($"The data have no column '{column}' to encode; columns: {string.Join(", ", data.Schema.Select(c => c.Name))}.");
        }

        if (data.Schema[column].Type is TextDataViewType)
        {
            // ML.NET's LoadImages reads an empty path as a missing image without an error, and the steps after it still
            // give the row an encoding: a pair or an enrolment without an image would be scored as if it had one.
            var row = 0;
            foreach (var path in data.GetColumn<ReadOnlyMemory<char>>(data.Schema[column]))
            {
                if (path.Span.IsWhiteSpace())
                {
                    throw new InvalidDataException(
                        $"Row {row} of column '{column}': image '{path}' does not exist, so the row cannot be encoded (expected the path of an image file; the path is empty).");
                }

                row++;
            }
        }

        var view = column == InputColumnName ? data : _ml.Transforms.CopyColumns(InputColumnName, column).Fit(data).Transform(data);
        var scored = _encoder.Transform(view);
        var embedding = scored.Schema.GetColumnOrNull(EmbeddingColumnName)
            ?? throw new ArgumentException($"The encoder adds no column '{EmbeddingColumnName}'; is its last step the embedding trainer's transformer?");
        var source = scored.Schema[column];
        var result = new List<float[]>();
        using var cursor = scored.GetRowCursor([embedding, source]);
        var getter = cursor.GetGetter<VBuffer<float>>(embedding);
        var describe = Describer(cursor, source);
        VBuffer<float> buffer = default;
        while (true)
        {
            try
            {
                if (!cursor.MoveNext())
                {
                    break;
                }

                getter(ref buffer);
            }
            catch (Exception e) when (e is not OperationCanceledException and not InvalidDataException)
            {
                // The failing row is lost in ML.NET's parallel cursors; for paths, name the first file that is not there.
                if (source.Type is TextDataViewType)
                {
                    var paths = data.GetColumn<ReadOnlyMemory<char>>(data.Schema[column]).Select(m => m.ToString()).ToList();
                    var missing = paths.FindIndex(p => p.Length == 0 || !File.Exists(p));
                    if (missing >= 0)
                    {
                        throw new InvalidDataException(
                            $"Row {missing} of column '{column}': image '{paths[missing]}' does not exist, so the row cannot be encoded (expected the path of an image file).", e);
                    }
                }

                throw new InvalidDataException(
                    $"Row {cursor.Position} of column '{column}' ({describe()}) could not be encoded (a missing or unreadable image?): {e.Message}", e);
            }

            var values = buffer.DenseValues().ToArray();
            if (values.Any(v => !float.IsFinite(v)))
            {
                throw new InvalidDataException($"Row {cursor.Position} of column '{column}' ({describe()}) has no encoding (NaN): its input is missing or unreadable.");
            }

            result.Add(values);
        }

        return [.. result];
    }

    /// <summary>A gallery of the rows' encodings, each enrolled under the identity in <paramref name="identityColumnName"/> (text, or a key with text values).</summary>
    public Gallery Enrol(IDataView examples, string identityColumnName)
    {
        var encodings = Encode(examples);
        var identities = Identities(examples, identityColumnName);
        var gallery = new Gallery(encodings.Length > 0 ? encodings[0].Length : throw new ArgumentException("No example to enrol."));
        for (var i = 0; i < encodings.Length; i++)
        {
            gallery.Enrol(identities[i], encodings[i]);
        }

        return gallery;
    }

    /// <summary>The distance d of every pair: the rows' inputs in <paramref name="firstColumnName"/> and <paramref name="secondColumnName"/>.</summary>
    public double[] Distances(IDataView pairs, string firstColumnName, string secondColumnName)
    {
        var first = Encode(pairs, firstColumnName);
        var second = Encode(pairs, secondColumnName);
        return [.. first.Zip(second, (a, b) => Similarity.Distance(a, b))];
    }

    /// <summary>The threshold τ for a target false-accept rate, chosen on validation pairs (Boolean <paramref name="labelColumnName"/>: true for one identity).</summary>
    public double ChooseThreshold(IDataView pairs, string firstColumnName, string secondColumnName, string labelColumnName, double falseAcceptRate)
    {
        var d = Distances(pairs, firstColumnName, secondColumnName);
        var labels = Booleans(pairs, labelColumnName);
        return VerificationMetrics.ThresholdForFalseAcceptRate([.. d.Where((_, i) => !labels[i])], falseAcceptRate);
    }

    /// <summary>Scores pairs: Label, Distance, Score = τ − d and PredictedLabel = d ≤ τ, for <c>BinaryClassification.EvaluateNonCalibrated</c>.</summary>
    public IDataView ScorePairs(IDataView pairs, string firstColumnName, string secondColumnName, string labelColumnName, double threshold)
    {
        var d = Distances(pairs, firstColumnName, secondColumnName);
        var labels = Booleans(pairs, labelColumnName);
        var rows = d.Select((distance, i) => new VerificationPair
        {
            Label = labels[i],
            Distance = (float)distance,
            Score = (float)(threshold - distance),
            PredictedLabel = distance <= threshold,
        }).ToList();
        return _ml.Data.LoadFromEnumerable(rows);
    }

    /// <summary>
    /// Identifies every row against <paramref name="gallery"/>: Label (the true identity as a key of the gallery's identities),
    /// Score, PredictedLabel (0, unknown, past <paramref name="threshold"/>) and Distance, for <c>MulticlassClassification.Evaluate</c>.
    /// </summary>
    public IDataView Identify(IDataView probes, Gallery gallery, string identityColumnName, double threshold = double.PositiveInfinity)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        var encodings = Encode(probes);
        var truth = Identities(probes, identityColumnName);
        var k = gallery.Identities.Count;
        var distances = new double[k];
        var rows = new List<IdentifiedRow>(encodings.Length);
        for (var r = 0; r < encodings.Length; r++)
        {
            gallery.Distances(encodings[r], distances);
            var found = gallery.Identify(encodings[r], threshold);
            var min = distances.Min();
            var weights = distances.Select(x => Math.Exp(-(x - min))).ToArray();
            var sum = weights.Sum();
            rows.Add(new IdentifiedRow
            {
                Identity = truth[r],
                Predicted = found.Identity ?? string.Empty,
                Score = [.. weights.Select(w => (float)(w / sum))],
                Distance = (float)found.Distance,
            });
        }

        var schema = SchemaDefinition.Create(typeof(IdentifiedRow));
        var names = new VBuffer<ReadOnlyMemory<char>>(k, [.. gallery.Identities.Select(i => i.AsMemory())]);
        schema[nameof(IdentifiedRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, k);
        schema[nameof(IdentifiedRow.Score)].AddAnnotation("SlotNames", names, new VectorDataViewType(TextDataViewType.Instance, k));
        var view = _ml.Data.LoadFromEnumerable(rows, schema);

        // Keys in the gallery's order (the Score's slots); an unknown or unenrolled identity is the missing key 0.
        var keys = _ml.Transforms.SelectColumns(nameof(IdentifiedRow.Identity))
            .Fit(view)
            .Transform(_ml.Data.LoadFromEnumerable(gallery.Identities.Select(i => new IdentifiedRow { Identity = i, Score = new float[k] }), schema));
        return _ml.Transforms.Conversion.MapValueToKey("Label", nameof(IdentifiedRow.Identity), keyData: keys)
            .Append(_ml.Transforms.Conversion.MapValueToKey("PredictedLabel", nameof(IdentifiedRow.Predicted), keyData: keys))
            .Fit(view)
            .Transform(view);
    }

    private static bool[] Booleans(IDataView data, string column)
    {
        var c = data.Schema.GetColumnOrNull(column) ?? throw new ArgumentException($"The pairs have no label column '{column}'.");
        if (c.Type != BooleanDataViewType.Instance)
        {
            throw new ArgumentException($"The pairs' label column '{column}' must be Boolean (true for one identity); it is {c.Type}.");
        }

        return [.. data.GetColumn<bool>(c)];
    }

    /// <summary>The identity of every row as text: a text column, or a key column's text values (its number without them).</summary>
    private static string[] Identities(IDataView data, string column)
    {
        var c = data.Schema.GetColumnOrNull(column) ?? throw new ArgumentException($"The data have no identity column '{column}'.");
        switch (c.Type)
        {
            case TextDataViewType:
                return [.. data.GetColumn<ReadOnlyMemory<char>>(c).Select(m => m.ToString())];
            case KeyDataViewType key when key.RawType == typeof(uint):
                string[]? names = null;
                if (c.Annotations.Schema.GetColumnOrNull("KeyValues") is { } kv && kv.Type is VectorDataViewType { ItemType: TextDataViewType })
                {
                    VBuffer<ReadOnlyMemory<char>> values = default;
                    c.GetKeyValues(ref values);
                    names = [.. values.DenseValues().Select(m => m.ToString())];
                }

                return [.. data.GetColumn<uint>(c).Select(v => v == 0
                    ? throw new InvalidDataException($"A row of identity column '{column}' has a missing key.")
                    : names is null ? v.ToString(CultureInfo.InvariantCulture) : names[v - 1])];
            default:
                throw new ArgumentException($"Identity column '{column}' must be text or a key of UInt32; it is {c.Type}.");
        }
    }

    private static Func<string> Describer(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            return () =>
            {
                ReadOnlyMemory<char> text = default;
                try
                {
                    getter(ref text);
                    return "'" + text.ToString() + "'";
                }
                catch (InvalidOperationException)
                {
                    return "its value";
                }
            };
        }

        return () => column.Type.ToString() ?? "its value";
    }
}
