// A process that must end by itself (it never calls process.exit): `lint <dir>` lints a folder
// on the shadow database; `ready <dir>` starts a Nest context whose provider injects
// MIGRATIONS_READY. It prints one line of JSON, then returns.
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { lintMigrations, MIGRATIONS_READY, MigrationsModule } from '../../dist/index.js';
import { MEM } from './engine-env.mjs';

const [mode, directory] = process.argv.slice(2);
if (mode === 'lint') {
  const report = await lintMigrations({ directory });
  console.log(JSON.stringify({ ok: report.ok, reversible: report.reversible }));
} else {
  class Seeder {
    constructor(applied) {
      this.applied = applied;
    }
  }
  Inject(MIGRATIONS_READY)(Seeder, undefined, 0);
  Injectable()(Seeder);
  class AppModule {}
  Module({
    imports: [MigrationsModule.forRoot({ ...MEM, namespace: 'n', database: 'd', directory, logger: false })],
    providers: [Seeder],
  })(AppModule);
  try {
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    await app.close();
    console.log(JSON.stringify({ created: true }));
  } catch (error) {
    console.log(JSON.stringify({ created: false, error: error.name }));
  }
}
