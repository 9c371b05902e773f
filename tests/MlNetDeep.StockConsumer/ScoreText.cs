using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// A scored column's value as text, the same in the stock consumer and in the tests that compare with it (linked there):
/// vectors as comma-separated round-trip floats, keys as "key:value", booleans, single floats.
/// </summary>
internal static class ScoreText
{
    public static Func<string> Writer(DataViewRow row, DataViewSchema.Column column)
    {
        static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
        switch (column.Type)
        {
            case VectorDataViewType:
            {
                var getter = row.GetGetter<VBuffer<float>>(column);
                VBuffer<float> buffer = default;
                return () =>
                {
                    getter(ref buffer);
                    return string.Join(',', buffer.DenseValues().Select(F));
                };
            }

            case KeyDataViewType:
            {
                var getter = row.GetGetter<uint>(column);
                VBuffer<ReadOnlyMemory<char>> names = default;
                column.GetKeyValues(ref names);
                var values = names.DenseValues().Select(v => v.ToString()).ToArray();
                return () =>
                {
                    uint key = 0;
                    getter(ref key);
                    return $"{key}:{(key == 0 ? string.Empty : values[key - 1])}";
                };
            }

            case BooleanDataViewType:
            {
                var getter = row.GetGetter<bool>(column);
                return () =>
                {
                    var v = false;
                    getter(ref v);
                    return v ? "true" : "false";
                };
            }

            default:
            {
                var getter = row.GetGetter<float>(column);
                return () =>
                {
                    var v = 0f;
                    getter(ref v);
                    return F(v);
                };
            }
        }
    }
}
