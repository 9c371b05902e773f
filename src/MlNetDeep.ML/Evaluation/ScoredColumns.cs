using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Evaluation;

/// <summary>Checks the columns of a scored data view and reads key columns, with messages that name the column and the types.</summary>
internal static class ScoredColumns
{
    /// <summary>The annotation kind ML.NET uses for the values behind a key column.</summary>
    private const string KeyValuesKind = "KeyValues";

    /// <summary>Returns the column or throws an <see cref="ArgumentException"/> that names it, its role and the expected type.</summary>
    public static DataViewSchema.Column Require(IDataView data, string name, string role, string expected, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameterName);
        var column = data.Schema.GetColumnOrNull(name);
        if (column is null || column.Value.IsHidden)
        {
            var present = string.Join(", ", data.Schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}' ({c.Type})"));
            throw new ArgumentException(
                $"The scored data has no column '{name}' (the {role}); expected a column of type {expected}. Columns present: {(present.Length == 0 ? "none" : present)}.",
                parameterName);
        }

        return column.Value;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> saying the column has the wrong type.</summary>
    public static ArgumentException WrongType(DataViewSchema.Column column, string role, string expected, string parameterName, string? hint = null) =>
        new($"Column '{column.Name}' (the {role}) has type {column.Type}; expected {expected}.{(hint is null ? string.Empty : " " + hint)}", parameterName);

    /// <summary>Requires a key column and returns its cardinality.</summary>
    public static int RequireKey(IDataView data, string name, string role, string parameterName)
    {
        const string expected = "a key type (for example Key<UInt32, 0-2>)";
        var column = Require(data, name, role, expected, parameterName);
        if (column.Type is not KeyDataViewType key)
        {
            throw WrongType(column, role, expected, parameterName, "Map the values to keys first, for example with mlContext.Transforms.Conversion.MapValueToKey.");
        }

        if (key.Count > int.MaxValue)
        {
            throw WrongType(column, role, $"a key type with at most {int.MaxValue} values", parameterName);
        }

        return (int)key.Count;
    }

    /// <summary>Requires a column of the given type.</summary>
    public static DataViewSchema.Column RequireType(IDataView data, string name, string role, DataViewType type, string parameterName)
    {
        var expected = $"{type}";
        var column = Require(data, name, role, expected, parameterName);
        if (!column.Type.Equals(type))
        {
            throw WrongType(column, role, expected, parameterName);
        }

        return column;
    }

    /// <summary>True when every value of the vector is finite (implicit zeros of a sparse vector are).</summary>
    public static bool AllFinite(in VBuffer<float> values)
    {
        foreach (var v in values.GetValues())
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The number of rows of <paramref name="scored"/> whose score column (a Single or a vector of Single) holds a NaN or
    /// an infinity: the rows ML.NET's evaluators leave out as bad scores.
    /// </summary>
    public static long CountNonFiniteScores(IDataView scored, DataViewSchema.Column score)
    {
        long bad = 0;
        using var cursor = scored.GetRowCursor([score]);
        if (score.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(score);
            VBuffer<float> values = default;
            while (cursor.MoveNext())
            {
                getter(ref values);
                bad += AllFinite(values) ? 0 : 1;
            }
        }
        else
        {
            var getter = cursor.GetGetter<float>(score);
            var value = 0f;
            while (cursor.MoveNext())
            {
                getter(ref value);
                bad += float.IsFinite(value) ? 0 : 1;
            }
        }

        return bad;
    }

    /// <summary>A getter that reads a key column's raw value (0 = missing, 1..K = the classes) as an unsigned long.</summary>
    public static ValueGetter<ulong> KeyGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var raw = column.Type.RawType;
        if (raw == typeof(uint))
        {
            return Widen<uint>(cursor, column, v => v);
        }

        if (raw == typeof(byte))
        {
            return Widen<byte>(cursor, column, v => v);
        }

        if (raw == typeof(ushort))
        {
            return Widen<ushort>(cursor, column, v => v);
        }

        if (raw == typeof(ulong))
        {
            return cursor.GetGetter<ulong>(column);
        }

        throw new ArgumentException($"Column '{column.Name}' has key type {column.Type} with raw type {raw.Name}; expected a key of Byte, UInt16, UInt32 or UInt64.");
    }

    /// <summary>
    /// The names of a key column's values: its KeyValues annotation, formatted, when there is one of the right
    /// length; otherwise "0", "1", ..., "K−1".
    /// </summary>
    public static string[] KeyNames(DataViewSchema.Column column, int count)
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull(KeyValuesKind);
        var names = annotation?.Type is VectorDataViewType vector ? vector.ItemType.RawType switch
        {
            var t when t == typeof(ReadOnlyMemory<char>) => Read<ReadOnlyMemory<char>>(column, v => v.ToString()),
            var t when t == typeof(float) => Read<float>(column, v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            var t when t == typeof(double) => Read<double>(column, v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            var t when t == typeof(int) => Read<int>(column, v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            var t when t == typeof(uint) => Read<uint>(column, v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            var t when t == typeof(long) => Read<long>(column, v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            var t when t == typeof(ulong) => Read<ulong>(column, v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            var t when t == typeof(bool) => Read<bool>(column, v => v ? "true" : "false"),
            _ => null,
        } : null;
        return names is not null && names.Length == count
            ? names
            : [.. Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
    }

    private static string[] Read<T>(DataViewSchema.Column column, Func<T, string> format)
    {
        VBuffer<T> values = default;
        column.Annotations.GetValue(KeyValuesKind, ref values);
        return [.. values.DenseValues().Select(format)];
    }

    private static ValueGetter<ulong> Widen<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, ulong> widen)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        return (ref ulong destination) =>
        {
            getter(ref value);
            destination = widen(value);
        };
    }
}
