namespace MlNetDeep.Training;

/// <summary>
/// Writes the input values of row <paramref name="row"/> into <paramref name="destination"/>, which holds exactly one
/// row of the network's input: how <see cref="BatchPredictor.Predict(int, RowReader)"/> takes rows that are not in one
/// tensor (such as rows kept one array each). It is called on the predictor's threads, at once for different rows.
/// </summary>
/// <param name="row">The row, from 0.</param>
/// <param name="destination">Where its values go (the network's input size).</param>
public delegate void RowReader(int row, Span<float> destination);
