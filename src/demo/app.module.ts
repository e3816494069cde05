import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DemoModule } from './demo.module.js';

/** The demo app: {@link DemoModule} configured from the environment and `.env`. */
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true }), DemoModule],
})
export class AppModule {}
