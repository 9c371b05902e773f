namespace MlNetDeep.ML.Internal;

/// <summary>
/// Copies the current row's features (dense) into <paramref name="destination"/>, which holds exactly the column's
/// declared number of values: a scorer's one-row buffer or a row of a block of rows.
/// </summary>
/// <param name="destination">Where the values go.</param>
internal delegate void ReadFeatures(Span<float> destination);
