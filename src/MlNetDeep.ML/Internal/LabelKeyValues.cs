using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The KeyValues of a key label column (the original class values), kept by the transformer so that PredictedLabel
/// carries them (MapKeyToValue needs them) and Score gets SlotNames. Values are stored as an array of their CLR type.
/// </summary>
internal sealed class LabelKeyValues
{
    public LabelKeyValues(PrimitiveDataViewType itemType, Array values)
    {
        ItemType = itemType;
        Values = values;
    }

    public PrimitiveDataViewType ItemType { get; }

    public Array Values { get; }

    public int Count => Values.Length;

    /// <summary>The KeyValues of <paramref name="column"/>, or null when it has none.</summary>
    public static LabelKeyValues? From(DataViewSchema.Column column)
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull("KeyValues");
        if (annotation is not { Type: VectorDataViewType { ItemType: PrimitiveDataViewType item } })
        {
            return null;
        }

        return item.RawType switch
        {
            var t when t == typeof(ReadOnlyMemory<char>) => Read<ReadOnlyMemory<char>>(column, item),
            var t when t == typeof(float) => Read<float>(column, item),
            var t when t == typeof(double) => Read<double>(column, item),
            var t when t == typeof(int) => Read<int>(column, item),
            var t when t == typeof(uint) => Read<uint>(column, item),
            var t when t == typeof(long) => Read<long>(column, item),
            var t when t == typeof(bool) => Read<bool>(column, item),
            _ => null,
        };
    }

    /// <summary>Annotations for PredictedLabel: KeyValues.</summary>
    public DataViewSchema.Annotations KeyValuesAnnotations() => Build("KeyValues");

    /// <summary>Annotations for Score: SlotNames (text key values only), or null.</summary>
    public DataViewSchema.Annotations? SlotNamesAnnotations() =>
        ItemType.RawType == typeof(ReadOnlyMemory<char>) ? Build("SlotNames") : null;

    private DataViewSchema.Annotations Build(string kind)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        // Dispatch on the exact element type: the CLR lets a uint[] pass an 'is int[]' test.
        var raw = ItemType.RawType;
        if (raw == typeof(ReadOnlyMemory<char>)) { Add(builder, kind, (ReadOnlyMemory<char>[])Values); }
        else if (raw == typeof(float)) { Add(builder, kind, (float[])Values); }
        else if (raw == typeof(double)) { Add(builder, kind, (double[])Values); }
        else if (raw == typeof(int)) { Add(builder, kind, (int[])Values); }
        else if (raw == typeof(uint)) { Add(builder, kind, (uint[])Values); }
        else if (raw == typeof(long)) { Add(builder, kind, (long[])Values); }
        else if (raw == typeof(bool)) { Add(builder, kind, (bool[])Values); }

        return builder.ToAnnotations();
    }

    private void Add<T>(DataViewSchema.Annotations.Builder builder, string kind, T[] values)
    {
        ValueGetter<VBuffer<T>> getter = (ref VBuffer<T> dst) => new VBuffer<T>(values.Length, values).CopyTo(ref dst);
        builder.Add(kind, new VectorDataViewType(ItemType, values.Length), getter);
    }

    private static LabelKeyValues Read<T>(DataViewSchema.Column column, PrimitiveDataViewType item)
    {
        VBuffer<T> buffer = default;
        column.GetKeyValues(ref buffer);
        return new LabelKeyValues(item, buffer.DenseValues().ToArray());
    }
}
