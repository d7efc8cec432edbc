@_exported import BallastAudit
@_exported import BallastBacktest
@_exported import BallastLinearAlgebra
@_exported import BallastMarketData
@_exported import BallastOptimization
@_exported import BallastProfiling
@_exported import BallastRebalancing
@_exported import BallastRiskModels
