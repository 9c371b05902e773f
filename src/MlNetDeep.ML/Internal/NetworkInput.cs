using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>Checks the feature and label columns of a data view, and reads a features column (for fitting statistics or scoring).</summary>
internal static class NetworkInput
{
    /// <summary>The per-sample shape of the features column, or an exception naming the column and its type.</summary>
    public static int[] FeatureShape(DataViewSchema schema, string column, int[]? declared)
    {
        var type = Column(schema, column, "the features").Type;
        int size;
        int[] shape;
        switch (type)
        {
            case VectorDataViewType { ItemType: var item, IsKnownSize: true } v when item == NumberDataViewType.Single:
                size = v.Size;
                shape = v.Dimensions.Length > 1 ? [.. v.Dimensions] : [v.Size];
                break;
            case var t when t == NumberDataViewType.Single:
                size = 1;
                shape = [1];
                break;
            default:
                throw new ArgumentException(
                    $"Column '{column}' must be a known-size vector of Single (Vector<Single, n>) or a Single; it is {Describe(type)}.");
        }

        if (declared is null)
        {
            return shape;
        }

        if (declared.Length == 0 || declared.Any(d => d <= 0) || declared.Aggregate(1L, (p, d) => p * d) != size)
        {
            throw new ArgumentException(
                $"The declared feature shape [{string.Join(", ", declared)}] does not fit column '{column}', which holds {size} values a row.");
        }

        return (int[])declared.Clone();
    }

    /// <summary>The number of classes of a key label column, or an exception saying what was expected.</summary>
    public static int ClassCount(DataViewSchema schema, string column)
    {
        var type = Column(schema, column, "the label").Type;
        if (type is not KeyDataViewType key || key.RawType != typeof(uint) || key.Count == 0 || key.Count > int.MaxValue)
        {
            throw new ArgumentException(
                $"Label column '{column}' must be a key of UInt32 (use mlContext.Transforms.Conversion.MapValueToKey); it is {Describe(type)}.");
        }

        return (int)key.Count;
    }

    /// <summary>Checks that a label column has the given scalar type.</summary>
    public static void RequireLabel(DataViewSchema schema, string column, DataViewType expected, string hint)
    {
        var type = Column(schema, column, "the label").Type;
        if (type != expected)
        {
            throw new ArgumentException($"Label column '{column}' must be {Describe(expected)}{hint}; it is {Describe(type)}.");
        }
    }

    /// <summary>Reads an example weight column (Single, finite, ≥ 0) into [N].</summary>
    public static Tensor ReadWeights(IDataView data, string columnName, string role, CancellationToken cancellation)
    {
        var column = Column(data.Schema, columnName, "the example weights");
        if (column.Type != NumberDataViewType.Single)
        {
            throw new ArgumentException($"Example weight column '{columnName}' must be Single; it is {Describe(column.Type)}.");
        }

        var weights = new List<float>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<float>(column);
        var w = 0f;
        while (cursor.MoveNext())
        {
            getter(ref w);
            if (!(w >= 0 && float.IsFinite(w)))
            {
                throw new ArgumentException($"The {role} data hold the example weight {w} in column '{columnName}' at row {weights.Count}; every weight must be a finite value ≥ 0.");
            }

            weights.Add(w);
            if (weights.Count % ViewRows.CancellationInterval == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }
        }

        return new Tensor([.. weights], Math.Max(1, weights.Count));
    }

    /// <summary>Reads the features of every row into [N, ..shape] (e.g. the images a step fits its statistics on).</summary>
    public static Tensor ReadFeatures(IDataView data, DataViewSchema.Column features, int[] shape, string role)
    {
        var rows = new InMemoryBatchSource(shape);
        using (var view = new ViewRows(data, features, null, role, new ReadSettings(false, default, null)))
        {
            while (view.MoveNext())
            {
                view.TryReadFeatures(rows.Next());
                rows.Commit(0, view.Row);
            }
        }

        if (rows.Rows == 0)
        {
            throw new ArgumentException($"The {role} data have no rows.");
        }

        var result = new Tensor([rows.Rows, .. shape]);
        using var cursor = rows.Open(Enumerable.Range(0, rows.Rows).ToArray(), false, 0, 0);
        cursor.Read(result, new Tensor(rows.Rows), new int[rows.Rows]);
        return result;
    }

    /// <summary>
    /// A reader that copies the current row's features (dense) into a span of the column's size. A vector of another
    /// length is an <see cref="ArgumentException"/> naming the column, the expected and the actual length: ML.NET
    /// hands a null or short float[] of a typed input (PredictionEngine, LoadFromEnumerable) through as a shorter
    /// vector, and copying it would leave the previous row's values in the rest of the array.
    /// </summary>
    /// <param name="row">The row or cursor.</param>
    /// <param name="column">The features column.</param>
    /// <param name="where">Says where the row is, for the message (such as " at row 12 of the training data"); empty when unknown.</param>
    public static ReadFeatures FeatureReader(DataViewRow row, DataViewSchema.Column column, Func<string>? where = null)
    {
        if (column.Type is VectorDataViewType)
        {
            var getter = row.GetGetter<VBuffer<float>>(column);
            VBuffer<float> buffer = default;
            var name = column.Name;
            return destination =>
            {
                getter(ref buffer);
                if (buffer.Length != destination.Length)
                {
                    throw WrongLength(name, buffer.Length, destination.Length, where);
                }

                buffer.CopyTo(destination);
            };
        }

        var scalar = row.GetGetter<float>(column);
        return destination =>
        {
            var v = 0f;
            scalar(ref v);
            destination[0] = v;
        };
    }

    /// <summary>The exception for a features vector of <paramref name="actual"/> values where the column declares <paramref name="expected"/>.</summary>
    /// <param name="column">The features column's name.</param>
    /// <param name="actual">The values the row holds.</param>
    /// <param name="expected">The column's declared size.</param>
    /// <param name="where">Says where the row is (as <see cref="FeatureReader"/>'s); null when unknown.</param>
    public static ArgumentException WrongLength(string column, int actual, int expected, Func<string>? where = null) =>
        new($"Column '{column}' holds {actual} values{where?.Invoke()}{(actual == 0 ? " (a missing or empty vector)" : string.Empty)}; expected {expected}, the column's declared size.");

    /// <summary>Column <paramref name="name"/>, or an exception naming it, its <paramref name="role"/> and the columns there are.</summary>
    public static DataViewSchema.Column Column(DataViewSchema schema, string name, string role)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return schema.GetColumnOrNull(name)
            ?? throw new ArgumentException(
                $"The input has no column '{name}' for {role}; it has {string.Join(", ", schema.Select(c => $"'{c.Name}'"))}.");
    }

    private static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType v => v.IsKnownSize ? $"Vector<{v.ItemType.RawType.Name}, {string.Join(", ", v.Dimensions)}>" : $"Vector<{v.ItemType.RawType.Name}> of unknown size",
        KeyDataViewType k => $"Key<{k.RawType.Name}, {k.Count}>",
        _ => type.RawType == typeof(ReadOnlyMemory<char>) ? "String (text)" : type.RawType.Name,
    };
}
