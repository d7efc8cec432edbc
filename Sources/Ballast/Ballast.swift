@_exported import BallastLinearAlgebra
@_exported import BallastMarketData
@_exported import BallastRiskModels
