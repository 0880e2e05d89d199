// Every migration in migrations/, in order. Listed by hand so a build never depends on a glob;
// a landed migration is never edited: change the schema with a new one.
import { InitialSchema1795392000000 } from '../../migrations/1795392000000-InitialSchema'
import { WecomIntegration1795392100000 } from '../../migrations/1795392100000-WecomIntegration'
import { Sessions1795392200000 } from '../../migrations/1795392200000-Sessions'
import { Bot1795392300000 } from '../../migrations/1795392300000-Bot'
import { OrderSources1795392400000 } from '../../migrations/1795392400000-OrderSources'
import { RepairEditedMigrations1795392500000 } from '../../migrations/1795392500000-RepairEditedMigrations'
import { ProcessorSteps1795392600000 } from '../../migrations/1795392600000-ProcessorSteps'
import { OrderItemsKeyedByLine1795392700000 } from '../../migrations/1795392700000-OrderItemsKeyedByLine'
import { TeamFigureIndexes1795392800000 } from '../../migrations/1795392800000-TeamFigureIndexes'
import { OrderSourceLastOrder1795392900000 } from '../../migrations/1795392900000-OrderSourceLastOrder'
import { SyncRuns1795392950000 } from '../../migrations/1795392950000-SyncRuns'
import { ReminderRules1795393000000 } from '../../migrations/1795393000000-ReminderRules'
import { MemberDailyFigures1795393100000 } from '../../migrations/1795393100000-MemberDailyFigures'
import { TrendIndexes1795393200000 } from '../../migrations/1795393200000-TrendIndexes'
import { Channels1795393300000 } from '../../migrations/1795393300000-Channels'
import { ChannelFigureIndexes1795393400000 } from '../../migrations/1795393400000-ChannelFigureIndexes'

export const migrations = [InitialSchema1795392000000, WecomIntegration1795392100000, Sessions1795392200000, Bot1795392300000, OrderSources1795392400000, RepairEditedMigrations1795392500000, ProcessorSteps1795392600000, OrderItemsKeyedByLine1795392700000, TeamFigureIndexes1795392800000, OrderSourceLastOrder1795392900000, SyncRuns1795392950000, ReminderRules1795393000000, MemberDailyFigures1795393100000, TrendIndexes1795393200000, Channels1795393300000, ChannelFigureIndexes1795393400000]
