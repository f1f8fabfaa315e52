import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import ProjectsPage from './pages/ProjectsPage.vue';
import ProjectPage from './pages/ProjectPage.vue';
import AboutPage from './pages/AboutPage.vue';
import NotFoundPage from './pages/NotFoundPage.vue';
import DataTab from './pages/project/DataTab.vue';
import SimulatorTab from './pages/project/SimulatorTab.vue';
import DiffusionTab from './pages/project/DiffusionTab.vue';
import SampleTab from './pages/project/SampleTab.vue';
import DesignsTab from './pages/project/DesignsTab.vue';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
  }
}

/** The project tabs, in the order of the workflow; the project page renders its tab bar from this. */
export const PROJECT_TABS = [
  { name: 'project-data', path: 'data', label: 'Data', component: DataTab },
  { name: 'project-simulator', path: 'simulator', label: 'Simulator', component: SimulatorTab },
  { name: 'project-diffusion', path: 'diffusion', label: 'Diffusion', component: DiffusionTab },
  { name: 'project-sample', path: 'sample', label: 'Sample', component: SampleTab },
  { name: 'project-designs', path: 'designs', label: 'Designs', component: DesignsTab },
] as const;

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: { name: 'projects' } },
  { path: '/projects', name: 'projects', component: ProjectsPage, meta: { title: 'Projects' } },
  {
    path: '/projects/:id',
    component: ProjectPage,
    children: [
      { path: '', name: 'project', redirect: (to) => ({ name: 'project-data', params: to.params }) },
      ...PROJECT_TABS.map((tab) => ({ path: tab.path, name: tab.name, component: tab.component })),
    ],
  },
  { path: '/about', name: 'about', component: AboutPage, meta: { title: 'About' } },
  { path: '/:unknown(.*)*', name: 'not-found', component: NotFoundPage, meta: { title: 'Not found' } },
];

// Hash history: Electron loads the renderer from file://, where path URLs cannot be served.
export const router = createRouter({ history: createWebHashHistory(), routes });

router.afterEach((to) => {
  if (to.meta.title) document.title = `${to.meta.title} — Inverse Design Workbench`;
});
